import { halfBitsToFloat, type PackedTensor } from '@xlora/core';
import type { BlockQuantized } from './block-quantized.js';

const BLOCK = 32;
const BLOCK_BYTES = 34;

/** q8_0 { f16 d; i8 qs[32] } -> 8-bit blocks of 32: u8 = i8 + 128 with the default zero point 128, scale d. */
export function repackQ8_0(t: PackedTensor, rows: number, cols: number): BlockQuantized {
  const blocks = rows * (cols / BLOCK);
  const src = t.bytes;
  const data = new Uint8Array(blocks * BLOCK);
  const scales = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const o = b * BLOCK_BYTES;
    scales[b] = halfBitsToFloat(src[o] | (src[o + 1] << 8));
    for (let i = 0; i < BLOCK; i++) data[b * BLOCK + i] = src[o + 2 + i] ^ 0x80;
  }
  return { bits: 8, blockSize: BLOCK, rows, cols, data, scales, zeroPoints: null, mins: null };
}
