import { floatToHalfBits } from '../half.js';
import { makeQkx2Quants, nearestInt } from './k-quant-search.js';
import { Q4_K_BYTES, Q4_K_ELEMS, q4kMin, q4kScale } from './q4-k.js';
import { readHalf } from './read-half.js';

const f = Math.fround;

/**
 * ggml's reference quantizer for q4_k (quantize_row_q4_K_ref), re-derived with its f32 arithmetic. Per 256-value
 * super-block:
 *   1. each 32-value sub-block gets a scale and a min from makeQkx2Quants (nmax 15, weights av_x + |x| where
 *      av_x = sqrt(mean x²), trial steps rmin −1, rdelta 0.1, 20 steps, squared error; all eight searched in one
 *      call, see k-quant-search.ts for how, and for where its trial range differs from ggml's);
 *   2. the largest scale and the largest min set the super-block's d = max_scale/63 and dmin = max_min/63 (f16);
 *      each sub-block's scale and min become 6-bit integers nearest_int(63/max · value), at most 63;
 *   3. every value is re-quantized against the f16-rounded d·scale and dmin·min: q = clamp(nearest_int((x + dm)/d), 0, 15)
 *      (a sub-block whose d·scale is 0 keeps the levels of step 1, as in ggml).
 */
export function quantizeQ4_K(src: Float32Array, dst: Uint8Array, dstOffset = 0): void {
  const L = new Uint8Array(Q4_K_ELEMS);
  const weights = new Float32Array(Q4_K_ELEMS);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  for (let b = 0; b < src.length; b += Q4_K_ELEMS, dstOffset += Q4_K_BYTES) {
    for (let j = 0; j < 8; j++) {
      const x0 = b + 32 * j;
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(src[x0 + l] * src[x0 + l]));
      const avX = f(Math.sqrt(f(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[32 * j + l] = f(avX + Math.abs(src[x0 + l]));
    }
    makeQkx2Quants(8, 32, 15, src, b, weights, L, 0, -1, f(0.1), 20, false, scales, mins);
    let maxScale = 0, maxMin = 0;
    for (let j = 0; j < 8; j++) {
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    const sc = dstOffset + 4; // the 12 packed scale/min bytes
    dst.fill(0, sc, sc + 12);
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(f(invScale * scales[j])) & 0xff); // C stores it in a uint8_t first
      const lm = Math.min(63, nearestInt(f(invMin * mins[j])) & 0xff);
      if (j < 4) {
        dst[sc + j] = ls;
        dst[sc + j + 4] = lm;
      } else {
        dst[sc + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
        dst[sc + j - 4] |= (ls >> 4) << 6;
        dst[sc + j] |= (lm >> 4) << 6;
      }
    }
    writeHalf(dst, dstOffset, f(maxScale / 63));
    writeHalf(dst, dstOffset + 2, f(maxMin / 63));
    const d = readHalf(dst, dstOffset);
    const dmin = readHalf(dst, dstOffset + 2);
    for (let j = 0; j < 8; j++) {
      const ds = f(d * q4kScale(dst, sc, j));
      if (!ds) continue;
      const dm = f(dmin * q4kMin(dst, sc, j));
      for (let i = 0; i < 32; i++) {
        L[32 * j + i] = Math.max(0, Math.min(15, nearestInt(f(f(src[b + 32 * j + i] + dm) / ds))));
      }
    }
    const qs = dstOffset + 16;
    for (let g = 0; g < 4; g++) {
      for (let l = 0; l < 32; l++) dst[qs + 32 * g + l] = L[64 * g + l] | (L[64 * g + 32 + l] << 4);
    }
  }
}

function writeHalf(dst: Uint8Array, offset: number, value: number): void {
  const h = floatToHalfBits(value);
  dst[offset] = h & 0xff;
  dst[offset + 1] = h >>> 8;
}
