import { halfBitsToFloat, type PackedTensor } from '@xlora/core';
import type { BlockQuantized } from './block-quantized.js';

const BLOCK = 32;
const BLOCK_BYTES = 18;

/**
 * q4_0 { f16 d; u8 qs[16] } -> 4-bit blocks of 32, scale d, the ops' default zero point 8: (q − 8)·d as ggml.
 * ggml keeps elements 0–15 in the low nibbles of qs and 16–31 in the high ones; MatMulNBits wants element 2j in the
 * low and 2j+1 in the high nibble of byte j, so the nibbles are re-ordered.
 */
export function repackQ4_0(t: PackedTensor, rows: number, cols: number): BlockQuantized {
  const blocks = rows * (cols / BLOCK);
  const src = t.bytes;
  const data = new Uint8Array(blocks * 16);
  const scales = new Float32Array(blocks);
  const nibble = (qs: number, e: number) => (e < 16 ? src[qs + e] & 0x0f : src[qs + e - 16] >>> 4);
  for (let b = 0; b < blocks; b++) {
    const o = b * BLOCK_BYTES;
    scales[b] = halfBitsToFloat(src[o] | (src[o + 1] << 8));
    for (let j = 0; j < 16; j++) data[b * 16 + j] = nibble(o + 2, 2 * j) | (nibble(o + 2, 2 * j + 1) << 4);
  }
  return { bits: 4, blockSize: BLOCK, rows, cols, data, scales, zeroPoints: null, mins: null };
}
