/** Which lowering the exporter uses where there is more than one. */
export interface ExportOptions {
  /**
   * Use ONNX Runtime contrib ops where they are equivalent to the standard-op lowering:
   * - `simplifiedLayerNorm`: RmsNorm -> SimplifiedLayerNormalization, and Add feeding RmsNorm ->
   *   com.microsoft SkipSimplifiedLayerNormalization (its sum output replaces the Add).
   * - `rotaryEmbedding`: Rope -> com.microsoft RotaryEmbedding with a cos/sin cache for positions
   *   [0, maxPositions); a position outside that range makes ORT fail, so it is only equivalent when the caller
   *   knows the bound.
   * Standard ops (the default) run everywhere: ORT, onnxruntime-web, other runtimes.
   */
  contribOps?: {
    simplifiedLayerNorm?: boolean;
    rotaryEmbedding?: { maxPositions: number } | false;
  };
  /**
   * Rope angles pos · invFreq: 'f64' computes them in double and rounds once to f32, exactly as backend-cpu;
   * 'f32' stays in float (HF's own precision; best for EPs without double ops such as WebGPU). Default 'f64'.
   */
  ropeAngles?: 'f64' | 'f32';
  /** Move initializers to external data when their total exceeds this many bytes (default: flags). */
  externalDataThresholdBytes?: number;
  /** Model metadata_props (string key/values). */
  metadata?: Readonly<Record<string, string>>;
}
