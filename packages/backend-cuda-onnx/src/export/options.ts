import type { InitializerStore } from './initializer-store.js';

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
  /**
   * com.microsoft MatMulNBits (the MatMul of a q4_0 / q8_0 / q4_k / q6_k weight) `accuracy_level`: unset or 0 (the
   * default) dequantizes each weight block to f32 and accumulates in f32, the exact mode; 4 quantizes the
   * activations to int8 per block and multiplies in int8 (faster on CPUs with int8 dot products, not exact: max |Δ|
   * 0.011 on outputs of ~1–10 in a 4-bit probe). 1–3 name f32/f16/bf16 compute (see ORT's MatMulNBits docs).
   */
  matMulNBitsAccuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** Move initializers to external data when their total exceeds this many bytes (default: flags). */
  externalDataThresholdBytes?: number;
  /**
   * Initializers derived from weight tensors (of at least flags.STORED_INITIALIZER_MIN_BYTES) go here instead of into
   * the model, made once for all exports over the same tensors (the ORT node backend's weight file).
   */
  initializerStore?: InitializerStore;
  /** Model metadata_props (string key/values). */
  metadata?: Readonly<Record<string, string>>;
}
