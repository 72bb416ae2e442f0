import { InputError } from '../errors.js';
import { formatShape, numel, type HostTensor } from '../tensor.js';
import { decodeBf16Bytes, decodeF16, decodeF32Bytes } from './blocks/decode-elements.js';
import { decodeQ4_0 } from './blocks/q4-0.js';
import { decodeQ4_K } from './blocks/q4-k.js';
import { decodeQ6_K } from './blocks/q6-k.js';
import { decodeQ8_0 } from './blocks/q8-0.js';
import { FORMAT_LAYOUT, formatByteLength, rowBytes, type PackedFormat, type WeightFormat } from './weight-format.js';

/**
 * A weight kept in the format it was stored in: row-major over `shape`, each row of the last axis a run of the
 * format's blocks (little-endian, as in safetensors and GGUF files). `bytes` may be a view into a file buffer.
 */
export interface PackedTensor {
  readonly format: PackedFormat;
  /** logical shape in values, e.g. [out, in] for a Linear weight */
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** What a weight map holds: a plain f32/i32 host tensor, or a packed one. */
export type WeightTensor = HostTensor | PackedTensor;

export function isPacked(t: WeightTensor): t is PackedTensor {
  return 'format' in t && 'bytes' in t;
}

/** The storage format of any weight. */
export function weightFormat(t: WeightTensor): WeightFormat | 'i32' {
  return isPacked(t) ? t.format : t.dtype;
}

/** A packed tensor, checked: the last axis must be whole blocks and `bytes` exactly the format's size. */
export function packed(format: PackedFormat, shape: readonly number[], bytes: Uint8Array, what = 'tensor'): PackedTensor {
  const need = formatByteLength(format, shape);
  if (need === null) {
    const { blockElems } = FORMAT_LAYOUT[format];
    throw new InputError(`${what}: shape ${formatShape(shape)} cannot be stored as ${format}: its rows (last axis) must be a multiple of ${blockElems} values`);
  }
  if (bytes.length !== need) {
    throw new InputError(`${what}: ${format} tensor of shape ${formatShape(shape)} needs ${need} bytes, got ${bytes.length}`);
  }
  return { format, shape: [...shape], bytes };
}

type RowDecoder = (bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number) => void;

/** Each format's decoder: `count` values (whole blocks) from bytes[offset] into out[outOffset..]. */
export const DECODERS: Readonly<Record<WeightFormat, RowDecoder>> = {
  f32: decodeF32Bytes,
  f16: decodeF16,
  bf16: decodeBf16Bytes,
  q8_0: decodeQ8_0,
  q4_0: decodeQ4_0,
  q4_k: decodeQ4_K,
  q6_k: decodeQ6_K,
};

/** Rows [first, first + count) of a packed tensor (rows = last axis), as f32 into out[outOffset..]. */
export function decodeRows(t: PackedTensor, first: number, count: number, out: Float32Array, outOffset = 0): void {
  const cols = t.shape[t.shape.length - 1];
  const perRow = rowBytes(t.format, cols)!;
  DECODERS[t.format](t.bytes, first * perRow, count * cols, out, outOffset);
}

/** The f32 values of a weight (a packed one decoded; an f32 one as is). */
export function dequantize(t: WeightTensor): HostTensor<'f32'> {
  if (!isPacked(t)) {
    if (t.dtype !== 'f32') throw new InputError(`dequantize: an ${t.dtype} tensor has no float values`);
    return t as HostTensor<'f32'>;
  }
  const n = numel(t.shape);
  const out = new Float32Array(n);
  if (n > 0) decodeRows(t, 0, n / t.shape[t.shape.length - 1], out);
  return { dtype: 'f32', shape: [...t.shape], data: out };
}
