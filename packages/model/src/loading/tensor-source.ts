import type { HostTensor } from '@xlora/core';
import type { SafetensorsDType } from './safetensors-dtypes.js';

export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  byteLength: number;
}

/** Named tensors read on demand: one safetensors file, or a sharded set of them. */
export interface TensorSource {
  /** Where the tensors come from, for messages. */
  readonly file: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** A float tensor (F32/F16/BF16/F64), widened to f32; integer dtypes are an error naming the tensor (weights are floats). */
  getF32(name: string): HostTensor<'f32'>;
  /** Any integer dtype (I64/U64/U32 only when every value fits in int32); floats are an error. */
  getI32(name: string): HostTensor<'i32'>;
  /** f32 for float dtypes, i32 for integer and bool dtypes. */
  get(name: string): HostTensor;
}

/** "file: no tensor named X (has N tensors, e.g. a, b, c)". */
export function missingTensorMessage(file: string, name: string, names: readonly string[]): string {
  const sample = names.slice(0, 3).map((n) => JSON.stringify(n));
  const eg = names.length === 0 ? '' : `, e.g. ${sample.join(', ')}${names.length > 3 ? ', ...' : ''}`;
  return `${file}: no tensor named ${JSON.stringify(name)} (has ${names.length} tensor${names.length === 1 ? '' : 's'}${eg})`;
}
