import { floatToHalfBits } from '../half.js';
import { GROUP_MAX_EPS, makeQxQuants, nearestInt } from './k-quant-search.js';
import { Q6_K_BYTES, Q6_K_ELEMS } from './q6-k.js';
import { readHalf } from './read-half.js';

const f = Math.fround;

/**
 * ggml's reference quantizer for q6_k (quantize_row_q6_K_ref), re-derived with its f32 arithmetic. Per 256-value
 * super-block:
 *   1. each 16-value sub-block gets a signed scale from makeQxQuants (nmax 32, weights x²);
 *   2. the scale of largest magnitude (signed, the first on ties) sets iscale = −128/max_scale and d = 1/iscale (f16);
 *      each sub-block's scale becomes the int8 min(127, nearest_int(iscale · scale));
 *   3. every value is re-quantized against the f16-rounded d·scale: q = clamp(nearest_int(x/(d·scale)), −32, 31) + 32
 *      (a sub-block whose d·scale is 0 keeps the levels of step 1, as in ggml).
 * A super-block whose scales are all below GROUP_MAX_EPS is written as zeros.
 */
export function quantizeQ6_K(src: Float32Array, dst: Uint8Array, dstOffset = 0): void {
  const L = new Uint8Array(Q6_K_ELEMS);
  const scales = new Float32Array(16);
  for (let b = 0; b < src.length; b += Q6_K_ELEMS, dstOffset += Q6_K_BYTES) {
    let maxScale = 0, maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, src, b + 16 * ib, L, 16 * ib);
      scales[ib] = scale;
      if (Math.abs(scale) > maxAbsScale) {
        maxAbsScale = Math.abs(scale);
        maxScale = scale;
      }
    }
    dst.fill(0, dstOffset, dstOffset + Q6_K_BYTES);
    if (maxAbsScale < GROUP_MAX_EPS) continue;
    const iscale = f(-128 / maxScale);
    const h = floatToHalfBits(f(1 / iscale));
    dst[dstOffset + 208] = h & 0xff;
    dst[dstOffset + 209] = h >>> 8;
    const d = readHalf(dst, dstOffset + 208);
    const sc = dstOffset + 192;
    for (let ib = 0; ib < 16; ib++) dst[sc + ib] = Math.min(127, nearestInt(f(iscale * scales[ib]))) & 0xff;
    for (let j = 0; j < 16; j++) {
      const ds = f(d * ((dst[sc + j] << 24) >> 24));
      if (!ds) continue;
      for (let i = 0; i < 16; i++) {
        L[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(f(src[b + 16 * j + i] / ds)))) + 32;
      }
    }
    // two 128-value halves: ql holds the low 4 bits (values l and l+64 share a byte, as do l+32 and l+96), qh the top 2
    for (let half = 0; half < 2; half++) {
      const ql = dstOffset + 64 * half;
      const qh = dstOffset + 128 + 32 * half;
      const v = 128 * half;
      for (let l = 0; l < 32; l++) {
        const q1 = L[v + l], q2 = L[v + l + 32], q3 = L[v + l + 64], q4 = L[v + l + 96];
        dst[ql + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
        dst[ql + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
        dst[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
    }
  }
}
