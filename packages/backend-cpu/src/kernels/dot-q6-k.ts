import { halfToFloatTable, type PackedTensor } from '@xlora/core';
import type { RowDot4 } from './row-dot.js';
import { u16View } from './u16-view.js';

/**
 * q6_k rows: 256-value super-blocks {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (105 words), two 128-value
 * halves. In half h, bytes ql[64h+l], ql[64h+32+l] and qh[32h+l] (l < 32) hold the 6-bit levels of elements
 * 128h + l + 32·{0, 1, 2, 3}; element e belongs to the 16-value sub-block e >> 4 with signed scale sc.
 * Σ (q − 32)·d·sc·x = d·sc·(Σ q·x − 32·Σx). One row at a time, four sub-block sums in flight.
 */
export function q6_KDot(w: PackedTensor): RowDot4 | undefined {
  const words = u16View(w.bytes);
  if (!words) return undefined;
  const scales = new Int8Array(w.bytes.buffer, w.bytes.byteOffset, w.bytes.length);
  const supers = w.shape[w.shape.length - 1] >> 8;
  const stride = supers * 105;
  return (first, { x, sum16 }, out, at) => {
    for (let r = 0; r < 4; r++) out[at + r] = dot1(words, scales, supers, (first + r) * stride, x, sum16);
  };
}

const half = halfToFloatTable();

/** The row at words[o..]. Module-level (see dot-q4-0.ts). */
function dot1(words: Uint16Array, scales: Int8Array, supers: number, o: number, x: Float64Array, sum16: Float64Array): number {
  let s = 0;
  for (let sb = 0; sb < supers; sb++, o += 105) {
    let t = 0;
    for (let h = 0; h < 2; h++) {
      const ql = o + 32 * h, qh = o + 64 + 16 * h, sc = 2 * o + 192 + 8 * h;
      for (let is = 0; is < 2; is++) {
        const xb = (sb << 8) + (h << 7) + (is << 4);
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (let i = 8 * is, xi = xb; i < 8 * is + 8; i++, xi += 2) {
          const a = words[ql + i], c = words[ql + 16 + i], e = words[qh + i];
          // the low byte of each word is l = 2i, the high byte l = 2i + 1
          t0 += ((a & 15) | ((e & 3) << 4)) * x[xi] + (((a >>> 8) & 15) | ((e >>> 4) & 48)) * x[xi + 1];
          t1 += ((c & 15) | ((e << 2) & 48)) * x[xi + 32] + (((c >>> 8) & 15) | ((e >>> 6) & 48)) * x[xi + 33];
          t2 += (((a >>> 4) & 15) | (e & 48)) * x[xi + 64] + ((a >>> 12) | ((e >>> 8) & 48)) * x[xi + 65];
          t3 += (((c >>> 4) & 15) | ((e >>> 2) & 48)) * x[xi + 96] + ((c >>> 12) | ((e >>> 10) & 48)) * x[xi + 97];
        }
        const g = xb >> 4;
        t += scales[sc + is] * (t0 - 32 * sum16[g]) + scales[sc + is + 2] * (t1 - 32 * sum16[g + 2])
          + scales[sc + is + 4] * (t2 - 32 * sum16[g + 4]) + scales[sc + is + 6] * (t3 - 32 * sum16[g + 6]);
      }
    }
    s += half[words[o + 104]] * t;
  }
  return s;
}
