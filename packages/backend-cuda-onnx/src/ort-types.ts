/**
 * The part of the onnxruntime JS API (onnxruntime-common) the session runner uses. onnxruntime-node and
 * onnxruntime-web both provide it; declaring it here keeps the runner free of either package.
 */

export type OrtDataType = 'float32' | 'int32' | 'int64' | 'bool' | 'float64' | 'float16' | 'uint8';
export type OrtDataLocation = 'none' | 'cpu' | 'cpu-pinned' | 'texture' | 'gpu-buffer' | 'ml-tensor';

export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly location: OrtDataLocation;
  /** host data; throws for tensors that live on a device */
  readonly data: unknown;
  getData(releaseData?: boolean): Promise<unknown>;
  dispose(): void;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtSessionOptions {
  executionProviders?: readonly (string | { name: string; [key: string]: unknown })[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  preferredOutputLocation?: OrtDataLocation | Record<string, OrtDataLocation>;
  externalData?: readonly { path: string; data: Uint8Array }[];
  intraOpNumThreads?: number;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  [key: string]: unknown;
}

export interface OrtModule {
  InferenceSession: { create(model: Uint8Array | string, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: OrtDataType, data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array, dims?: readonly number[]) => OrtTensor;
  env?: { logLevel?: string; wasm?: { numThreads?: number; [key: string]: unknown }; [key: string]: unknown };
}
