import { halfToFloatTable, q4kMin, q4kScale, type PackedTensor } from '@xlora/core';
import type { RowDot4 } from './row-dot.js';
import { u16View } from './u16-view.js';

/**
 * q4_k rows: 256-value super-blocks {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} (72 words). qs holds four
 * 64-value groups of 16 words; word i of group g has the low nibbles of elements 64g+2i, 64g+2i+1 (sub-block 2g)
 * and the high nibbles of 64g+32+2i, 64g+33+2i (sub-block 2g+1). A sub-block j with 6-bit scale sc and min m
 * adds d·sc·Σ q·x − dmin·m·Σx. The x loads are shared by two rows at a time (eight sums in flight).
 */
export function q4_KDot(w: PackedTensor): RowDot4 | undefined {
  const words = u16View(w.bytes);
  if (!words) return undefined;
  const supers = w.shape[w.shape.length - 1] >> 8;
  return (first, { x, sum32 }, out, at) => {
    const o = first * supers * 72;
    dot2(w.bytes, words, supers, o, x, sum32, out, at);
    dot2(w.bytes, words, supers, o + 2 * supers * 72, x, sum32, out, at + 2);
  };
}

const half = halfToFloatTable();

/** Rows at words[o0..] and the next one into out[at], out[at + 1]. Module-level (see dot-q4-0.ts). */
function dot2(bytes: Uint8Array, words: Uint16Array, supers: number, o0: number, x: Float64Array, sum32: Float64Array, out: Float32Array, at: number): void {
  let s0 = 0, s1 = 0;
  const o1 = o0 + supers * 72;
  for (let sb = 0; sb < supers; sb++) {
    const a = o0 + sb * 72, c = o1 + sb * 72;
    const sa = 2 * a + 4, sc = 2 * c + 4; // byte offsets of the packed scales
    let d0 = 0, d1 = 0, m0 = 0, m1 = 0;
    for (let g = 0; g < 4; g++) {
      const qa = a + 8 + 16 * g, qc = c + 8 + 16 * g;
      const xl = (sb << 8) + (g << 6), xh = xl + 32;
      let l0 = 0, h0 = 0, l1 = 0, h1 = 0;
      for (let i = 0; i < 16; i++) {
        const u0 = x[xl + 2 * i], u1 = x[xl + 2 * i + 1], v0 = x[xh + 2 * i], v1 = x[xh + 2 * i + 1];
        let q = words[qa + i];
        l0 += (q & 15) * u0 + ((q >>> 8) & 15) * u1;
        h0 += ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
        q = words[qc + i];
        l1 += (q & 15) * u0 + ((q >>> 8) & 15) * u1;
        h1 += ((q >>> 4) & 15) * v0 + (q >>> 12) * v1;
      }
      const j = 2 * g, xs = (sb << 3) + j;
      d0 += q4kScale(bytes, sa, j) * l0 + q4kScale(bytes, sa, j + 1) * h0;
      d1 += q4kScale(bytes, sc, j) * l1 + q4kScale(bytes, sc, j + 1) * h1;
      m0 += q4kMin(bytes, sa, j) * sum32[xs] + q4kMin(bytes, sa, j + 1) * sum32[xs + 1];
      m1 += q4kMin(bytes, sc, j) * sum32[xs] + q4kMin(bytes, sc, j + 1) * sum32[xs + 1];
    }
    s0 += half[words[a]] * d0 - half[words[a + 1]] * m0;
    s1 += half[words[c]] * d1 - half[words[c + 1]] * m1;
  }
  out[at] = s0;
  out[at + 1] = s1;
}
