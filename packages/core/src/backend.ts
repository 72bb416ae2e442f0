import type { Graph } from './graph/graph.js';
import type { WeightTensor } from './formats/packed-tensor.js';
import type { WeightFormat } from './formats/weight-format.js';
import type { DType, HostTensor } from './tensor.js';

/** A tensor owned by a backend (host memory for cpu, a GPUBuffer for webgpu, an OrtValue for onnx). */
export interface DeviceTensor {
  readonly backend: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type Feed = HostTensor | DeviceTensor;

/**
 * Named weights for compile(), each in its storage format (f32/i32 host tensors, or packed f16/bf16/q8_0/...).
 * Backends may cache uploads by tensor identity, so compiling a second graph over the same WeightMap (say, after a
 * runtime knob changed) does not upload the weights again.
 */
export type WeightMap = ReadonlyMap<string, WeightTensor>;

export interface Executable {
  readonly graph: Graph;
  dispose(): void;
}

export interface BackendInfo {
  /** registry name, e.g. "cpu", "webgpu", "cuda-onnx" */
  name: string;
  /** what it runs on, for people: "plain TypeScript (Node)", "SwiftShader Vulkan 1.3", "onnxruntime-node 1.30 cuda:0" */
  device: string;
  supportsF16: boolean;
  /**
   * Weight formats this backend computes from directly. Weights in other formats are dequantized to f32 once, at
   * compile (see resolveWeights), which costs 4 bytes per value.
   */
  weightFormats: readonly WeightFormat[];
}

export interface RunOptions {
  /** graph outputs to produce; others may be skipped. Default: all. */
  outputs?: readonly string[];
}

/**
 * A backend compiles graphs and runs them. It never sees "Llama" or "X-LoRA": only the op catalog.
 */
export interface Backend {
  readonly info: BackendInfo;
  compile(graph: Graph, weights: WeightMap): Promise<Executable>;
  /** Runs with inputs that are host tensors or this backend's device tensors; returns device tensors. */
  run(exe: Executable, feeds: Readonly<Record<string, Feed>>, options?: RunOptions): Promise<Record<string, DeviceTensor>>;
  upload(t: HostTensor): DeviceTensor;
  read(t: DeviceTensor): Promise<HostTensor>;
  release(t: DeviceTensor): void;
  dispose(): void;
}

export function isHostTensor(t: Feed): t is HostTensor {
  return 'data' in t && ArrayBuffer.isView((t as HostTensor).data);
}
