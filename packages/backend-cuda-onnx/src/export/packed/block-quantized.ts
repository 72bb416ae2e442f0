import { InputError, formatShape, type PackedFormat, type PackedTensor } from '@xlora/core';
import { repackQ4_0 } from './repack-q4-0.js';
import { repackQ4_K } from './repack-q4-k.js';
import { repackQ6_K } from './repack-q6-k.js';
import { repackQ8_0 } from './repack-q8-0.js';

/**
 * A [rows, cols] weight in the layout of ORT's com.microsoft MatMulNBits (B, with N = rows, K = cols) and
 * GatherBlockQuantized (data, quantize_axis 1): each row is cols / blockSize blocks, each block's values packed in
 * order, `bits` per value, the first of two 4-bit values in the low nibble. value = scale · (q − zeroPoint) − min.
 */
export interface BlockQuantized {
  bits: 4 | 8;
  blockSize: 16 | 32;
  rows: number;
  cols: number;
  /** [rows, blocks, blockSize · bits / 8] */
  data: Uint8Array;
  /** [rows, blocks] */
  scales: Float32Array;
  /** [rows, ceil(blocks · bits / 8)] packed like data; null: the ops' default (8 for 4 bits, 128 for 8 bits) */
  zeroPoints: Uint8Array | null;
  /** [rows, blocks]: subtracted after scaling (q4_k's dmin · min); null when there is none */
  mins: Float32Array | null;
}

type Repack = (t: PackedTensor, rows: number, cols: number) => BlockQuantized;

/**
 * The ggml block formats MatMulNBits and GatherBlockQuantized compute from exactly (the repacked values equal the
 * ggml decoder's to the last bit, see each repack file): q4_0 and q4_k as 4-bit blocks of 32, q8_0 as 8-bit blocks of
 * 32, q6_k as 8-bit blocks of 16 (its 6-bit values widened to bytes, zero point 32: ORT has no 6-bit kernel).
 */
export const REPACKERS: Partial<Record<PackedFormat, Repack>> = {
  q4_0: repackQ4_0,
  q8_0: repackQ8_0,
  q4_k: repackQ4_K,
  q6_k: repackQ6_K,
};

export function isBlockQuantizable(t: PackedTensor): boolean {
  return REPACKERS[t.format] !== undefined && t.shape.length === 2;
}

/** The MatMulNBits / GatherBlockQuantized layout of a 2-D ggml block-format weight. */
export function toBlockQuantized(t: PackedTensor, what: string): BlockQuantized {
  const repack = REPACKERS[t.format];
  if (!repack || t.shape.length !== 2) {
    throw new InputError(`weight "${what}": a ${t.format} tensor of shape ${formatShape(t.shape)} has no block-quantized ONNX form (needs a 2-D q4_0, q8_0, q4_k or q6_k weight)`);
  }
  return repack(t, t.shape[0], t.shape[1]);
}

/** The shape of a weight's block-quantized form without its arrays: what an export needs to name and wire them. */
export interface BlockLayout {
  bits: 4 | 8;
  blockSize: 16 | 32;
  rows: number;
  cols: number;
  /** bytes of zero points per row; null when the format uses the ops' default */
  zeroPointBytesPerRow: number | null;
  hasMins: boolean;
}

/** The layout of `t`'s block-quantized form, from a repack of its first row only (every row is laid out alike). */
export function blockLayout(t: PackedTensor, what: string): BlockLayout {
  const [rows, cols] = t.shape;
  const sample = rows === 0 ? toBlockQuantized(t, what) : null;
  if (sample) return { bits: sample.bits, blockSize: sample.blockSize, rows, cols, zeroPointBytesPerRow: null, hasMins: sample.mins !== null };
  const rowBytes = t.bytes.byteLength / rows;
  const first = toBlockQuantized({ format: t.format, shape: [1, cols], bytes: t.bytes.subarray(0, rowBytes) }, what);
  return {
    bits: first.bits, blockSize: first.blockSize, rows, cols,
    zeroPointBytesPerRow: first.zeroPoints ? first.zeroPoints.length : null, hasMins: first.mins !== null,
  };
}
