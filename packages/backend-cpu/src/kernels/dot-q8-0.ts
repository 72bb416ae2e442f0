import { halfToFloatTable, type PackedTensor } from '@xlora/core';
import type { RowDot4 } from './row-dot.js';

/** q8_0 rows {f16 d; i8 qs[32]} (34 bytes per 32 values), the levels read through an Int8Array view: Σ q·d·x = d·Σ q·x. */
export function q8_0Dot(w: PackedTensor): RowDot4 {
  const bytes = w.bytes;
  const levels = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const blocks = w.shape[w.shape.length - 1] >> 5;
  return (first, { x }, out, at) => dot4(bytes, levels, blocks, first, x, out, at);
}

const half = halfToFloatTable();

/** Module-level (one optimized copy for every weight, see dot-q4-0.ts). */
function dot4(bytes: Uint8Array, levels: Int8Array, blocks: number, first: number, x: Float64Array, out: Float32Array, at: number): void {
  const stride = blocks * 34;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let o0 = first * stride;
  for (let b = 0; b < blocks; b++, o0 += 34) {
    const o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let i = 2, xi = b << 5; i < 34; i++, xi++) {
      const u = x[xi];
      t0 += levels[o0 + i] * u;
      t1 += levels[o1 + i] * u;
      t2 += levels[o2 + i] * u;
      t3 += levels[o3 + i] * u;
    }
    s0 += half[bytes[o0] | (bytes[o0 + 1] << 8)] * t0;
    s1 += half[bytes[o1] | (bytes[o1 + 1] << 8)] * t1;
    s2 += half[bytes[o2] | (bytes[o2 + 1] << 8)] * t2;
    s3 += half[bytes[o3] | (bytes[o3 + 1] << 8)] * t3;
  }
  out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3;
}
