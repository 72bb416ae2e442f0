import type { TensorProto } from 'onnx-buf';
import type { ElemType, TensorData } from './proto.js';

/**
 * Where exports put the initializers they derive from the model's weight tensors (a tensor as it is, transposed for
 * MatMul, repacked into MatMulNBits blocks, widened to f32). A store keeps each (weight tensor, derived initializer)
 * once for every graph exported over the same tensors: `make` runs on the first export only, and every session
 * reads the same stored bytes (see README "Memory").
 */
export interface InitializerStore {
  /**
   * The initializer `name` of this export, derived from `source` (a weight tensor, compared by identity) as `key`
   * (the same key for the same derivation in every export). The returned proto references the stored bytes.
   */
  initializer(name: string, type: ElemType, dims: readonly number[], source: object, key: string, make: () => TensorData): TensorProto;
}

const ELEM_BYTES: Record<ElemType, number> = { f32: 4, f64: 8, i32: 4, i64: 8, bool: 1, u8: 1, f16: 2, bf16: 2 };

export function tensorByteLength(type: ElemType, dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, ELEM_BYTES[type]);
}

/** An initializer store whose sessions load from a model file beside the stored weights (the node weight file). */
export interface FileInitializerStore extends InitializerStore {
  /** writes a model that references the stored initializers; returns its path */
  writeModel(bytes: Uint8Array): string;
  /** removes a model file once its session exists */
  removeModel(path: string): void;
  dispose(): void;
}
