import { halfBitsToFloat, type PackedTensor } from '@xlora/core';
import type { BlockQuantized } from './block-quantized.js';

const SUPER = 256;
const SUPER_BYTES = 210;
const BLOCK = 16;

/**
 * q6_k super-blocks { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d } -> 8-bit blocks of 16 (its sub-blocks): the
 * 6-bit value q as a byte, zero point 32, scale fround(d·sc): (q − 32)·scale, ggml's dequantize_row_q6_K to the bit.
 * In each 128-value half h, value 32k + l (k < 4, l < 32) has its low 4 bits in ql[64h + l + 32(k & 1)] (low nibble
 * for k < 2, high for k ≥ 2) and its high 2 bits at bit 2k of qh[32h + l].
 */
export function repackQ6_K(t: PackedTensor, rows: number, cols: number): BlockQuantized {
  const supers = rows * (cols / SUPER);
  const src = t.bytes;
  const data = new Uint8Array(supers * SUPER);
  const scales = new Float32Array(supers * 16);
  const f = Math.fround;
  for (let s = 0; s < supers; s++) {
    const o = s * SUPER_BYTES;
    const d = halfBitsToFloat(src[o + 208] | (src[o + 209] << 8));
    for (let j = 0; j < 16; j++) scales[s * 16 + j] = f(d * ((src[o + 192 + j] << 24) >> 24));
    for (let h = 0; h < 2; h++) {
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) {
          const ql = src[o + 64 * h + l + 32 * (k & 1)];
          const low = k < 2 ? ql & 0x0f : ql >>> 4;
          const high = (src[o + 128 + 32 * h + l] >>> (2 * k)) & 3;
          data[s * SUPER + 128 * h + 32 * k + l] = low | (high << 4);
        }
      }
    }
  }
  const zeroPoints = new Uint8Array(rows * (cols / BLOCK)).fill(32);
  return { bits: 8, blockSize: BLOCK, rows, cols, data, scales, zeroPoints, mins: null };
}
