import { floatToHalfBits } from '../half.js';
import { readHalf } from './read-half.js';

/** q8_0: { f16 d; i8 qs[32] } = 34 bytes per 32 values; value = qs[i]·d. */
export const Q8_0_ELEMS = 32;
export const Q8_0_BYTES = 34;

/** Decodes `count` values (whole blocks) starting at bytes[offset] into out[outOffset..]. */
export function decodeQ8_0(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  for (let b = 0; b < count; b += Q8_0_ELEMS, offset += Q8_0_BYTES) {
    const d = readHalf(bytes, offset);
    for (let i = 0; i < Q8_0_ELEMS; i++) out[outOffset + b + i] = d * ((bytes[offset + 2 + i] << 24) >> 24);
  }
}

/** C's roundf: half away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * ggml's reference quantizer (quantize_row_q8_0_ref), with its f32 arithmetic: d = amax/127 stored as f16,
 * q = roundf(x · (1/d)). Writes src.length/32 blocks to dst[dstOffset..].
 */
export function quantizeQ8_0(src: Float32Array, dst: Uint8Array, dstOffset = 0): void {
  const f = Math.fround;
  for (let b = 0; b < src.length; b += Q8_0_ELEMS, dstOffset += Q8_0_BYTES) {
    let amax = 0;
    for (let i = 0; i < Q8_0_ELEMS; i++) amax = Math.max(amax, Math.abs(src[b + i]));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    const h = floatToHalfBits(d);
    dst[dstOffset] = h & 0xff;
    dst[dstOffset + 1] = h >>> 8;
    for (let i = 0; i < Q8_0_ELEMS; i++) dst[dstOffset + 2 + i] = roundHalfAwayFromZero(f(src[b + i] * id)) & 0xff;
  }
}
