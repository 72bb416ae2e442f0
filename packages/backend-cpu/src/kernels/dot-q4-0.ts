import { halfToFloatTable, type PackedTensor } from '@xlora/core';
import type { RowDot4 } from './row-dot.js';
import { u16View } from './u16-view.js';

/**
 * q4_0 rows {f16 d; u8 qs[16]} (9 words per 32 values): word i of a block's qs holds bytes 2i, 2i+1, so its four
 * nibbles are elements 2i, 2i+1 (low nibbles) and 16+2i, 17+2i (high). Σ (q − 8)·d·x = d·(Σ q·x − 8·Σx).
 */
export function q4_0Dot(w: PackedTensor): RowDot4 | undefined {
  const words = u16View(w.bytes);
  if (!words) return undefined;
  const blocks = w.shape[w.shape.length - 1] >> 5;
  return (first, { x, sum32 }, out, at) => dot4(words, blocks, first, x, sum32, out, at);
}

const half = halfToFloatTable();

/** A module-level function, not a closure per weight: V8 optimizes one copy for all weights, its arrays in registers. */
function dot4(words: Uint16Array, blocks: number, first: number, x: Float64Array, sum32: Float64Array, out: Float32Array, at: number): void {
  const stride = blocks * 9;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let o0 = first * stride;
  for (let b = 0; b < blocks; b++, o0 += 9) {
    const o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let i = 1, xi = b << 5; i < 9; i++, xi += 2) {
      const u0 = x[xi], u1 = x[xi + 1], v0 = x[xi + 16], v1 = x[xi + 17];
      let q = words[o0 + i];
      t0 += (q & 15) * u0 + ((q >>> 8) & 15) * u1 + ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
      q = words[o1 + i];
      t1 += (q & 15) * u0 + ((q >>> 8) & 15) * u1 + ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
      q = words[o2 + i];
      t2 += (q & 15) * u0 + ((q >>> 8) & 15) * u1 + ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
      q = words[o3 + i];
      t3 += (q & 15) * u0 + ((q >>> 8) & 15) * u1 + ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
    }
    const offset = 8 * sum32[b];
    s0 += half[words[o0]] * (t0 - offset);
    s1 += half[words[o1]] * (t1 - offset);
    s2 += half[words[o2]] * (t2 - offset);
    s3 += half[words[o3]] * (t3 - offset);
  }
  out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3;
}
