import { floatToHalfBits } from '../half.js';
import { readHalf } from './read-half.js';

/** q4_0: { f16 d; u8 qs[16] } = 18 bytes per 32 values; low nibbles hold elements 0–15, high 16–31; value = (q − 8)·d. */
export const Q4_0_ELEMS = 32;
export const Q4_0_BYTES = 18;

/** Decodes `count` values (whole blocks) starting at bytes[offset] into out[outOffset..]. */
export function decodeQ4_0(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let b = 0; b < count; b += Q4_0_ELEMS, offset += Q4_0_BYTES) {
    const d = readHalf(bytes, offset);
    const o = outOffset + b;
    for (let i = 0; i < 16; i++) {
      const q = bytes[offset + 2 + i];
      out[o + i] = ((q & 0x0f) - 8) * d;
      out[o + 16 + i] = ((q >>> 4) - 8) * d;
    }
  }
}

/**
 * ggml's reference quantizer (quantize_row_q4_0_ref), with its f32 arithmetic: d = max/−8 where max is the signed
 * value of largest magnitude (the first one on ties), q = min(15, trunc(x · (1/d) + 8.5)).
 */
export function quantizeQ4_0(src: Float32Array, dst: Uint8Array, dstOffset = 0): void {
  const f = Math.fround;
  for (let b = 0; b < src.length; b += Q4_0_ELEMS, dstOffset += Q4_0_BYTES) {
    let amax = 0;
    let max = 0;
    for (let i = 0; i < Q4_0_ELEMS; i++) {
      const v = src[b + i];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d ? f(1 / d) : 0;
    const h = floatToHalfBits(d);
    dst[dstOffset] = h & 0xff;
    dst[dstOffset + 1] = h >>> 8;
    for (let i = 0; i < 16; i++) {
      const lo = Math.min(15, Math.trunc(f(f(src[b + i] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(f(f(src[b + 16 + i] * id) + 8.5)));
      dst[dstOffset + 2 + i] = (lo & 0x0f) | ((hi & 0x0f) << 4);
    }
  }
}
