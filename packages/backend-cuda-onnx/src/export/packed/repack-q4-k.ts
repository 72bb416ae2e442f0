import { halfBitsToFloat, q4kScaleMin, type PackedTensor } from '@xlora/core';
import type { BlockQuantized } from './block-quantized.js';

const SUPER = 256;
const SUPER_BYTES = 144;
const BLOCK = 32;

/**
 * q4_k super-blocks { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } -> 4-bit blocks of 32 (its sub-blocks) with zero
 * point 0, scale fround(d·sc) and min fround(dmin·m): value = scale·q − min, ggml's dequantize_row_q4_K to the bit.
 * MatMulNBits has no per-block offset, so a MatMul of the inputs' block sums by the mins is subtracted after it (a
 * float zero point min/scale would not be exact and is undefined for sc = 0). Sub-block 2g is the low nibbles of
 * qs[32g..32g+31], sub-block 2g+1 their high nibbles.
 */
export function repackQ4_K(t: PackedTensor, rows: number, cols: number): BlockQuantized {
  const supers = rows * (cols / SUPER);
  const src = t.bytes;
  const data = new Uint8Array(supers * 128);
  const scales = new Float32Array(supers * 8);
  const mins = new Float32Array(supers * 8);
  const f = Math.fround;
  for (let s = 0; s < supers; s++) {
    const o = s * SUPER_BYTES;
    const d = halfBitsToFloat(src[o] | (src[o + 1] << 8));
    const dmin = halfBitsToFloat(src[o + 2] | (src[o + 3] << 8));
    for (let j = 0; j < 8; j++) {
      const [sc, m] = q4kScaleMin(src, o + 4, j);
      scales[s * 8 + j] = f(d * sc);
      mins[s * 8 + j] = f(dmin * m);
      const qs = o + 16 + 32 * (j >> 1);
      const out = (s * 8 + j) * 16;
      for (let i = 0; i < 16; i++) {
        const lo = src[qs + 2 * i], hi = src[qs + 2 * i + 1];
        data[out + i] = (j & 1) ? (lo >>> 4) | (hi & 0xf0) : (lo & 0x0f) | ((hi & 0x0f) << 4);
      }
    }
  }
  const blocksPerRow = cols / BLOCK;
  const zeroPoints = new Uint8Array(rows * Math.ceil(blocksPerRow / 2)); // all 0, two 4-bit zero points per byte
  return { bits: 4, blockSize: BLOCK, rows, cols, data, scales, zeroPoints, mins };
}
