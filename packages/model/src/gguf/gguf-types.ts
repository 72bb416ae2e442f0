import type { WeightFormat } from '@xlora/core';

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_VERSIONS = [2, 3] as const;
/** general.alignment when the file does not set it. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types, by their on-disk ids (gguf_type). */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufScalarType = Exclude<GgufValueType, 'array'>;

/** Bytes of one value of a fixed-size type (strings: the u64 length alone; arrays: type + count). */
export const GGUF_VALUE_MIN_BYTES: Readonly<Record<GgufValueType, number>> = {
  u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, string: 8, array: 12, u64: 8, i64: 8, f64: 8,
};

/**
 * One metadata value with its type. Integers of 64 bits are numbers when they are safe integers, else bigints;
 * numeric arrays are typed arrays (u64/i64 arrays: BigUint64Array/BigInt64Array).
 */
export type GgufKv =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufValueType; value: GgufArrayValue };

export type GgufArrayValue =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  | BigUint64Array | BigInt64Array | boolean[] | string[] | GgufKv[];

/** ggml tensor types by id (ggml_type), named as ggml names them; only some have a WeightFormat here. */
export const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

/** The ggml types we read, and the storage format each becomes. */
export const GGML_TYPE_FORMAT: Readonly<Record<number, WeightFormat>> = {
  0: 'f32', 1: 'f16', 30: 'bf16', 8: 'q8_0', 2: 'q4_0', 12: 'q4_k', 14: 'q6_k',
};

/** The ggml type id of each storage format (the inverse of GGML_TYPE_FORMAT). */
export const GGML_TYPE_OF: Readonly<Record<WeightFormat, number>> = {
  f32: 0, f16: 1, bf16: 30, q8_0: 8, q4_0: 2, q4_k: 12, q6_k: 14,
};

/** A tensor as the file describes it. `shape` is PyTorch order (ggml's ne reversed: the row length last). */
export interface GgufTensorInfo {
  name: string;
  /** ggml's ne: ne[0] is the row length */
  ne: number[];
  /** [out, in] for a Linear weight */
  shape: number[];
  format: WeightFormat;
  /** bytes of the tensor data */
  byteLength: number;
  /** absolute file offset of the data */
  fileOffset: number;
}
