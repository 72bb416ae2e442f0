import { readHalf } from './read-half.js';

/**
 * q6_k: 256-value super-blocks { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d } = 210 bytes. Each value is 6 bits
 * (4 low bits in ql, 2 high bits in qh) minus 32, times d and its 16-value sub-block's signed 8-bit scale.
 */
export const Q6_K_ELEMS = 256;
export const Q6_K_BYTES = 210;

/** Decodes `count` values (whole super-blocks) starting at bytes[offset] into out[outOffset..]. */
export function decodeQ6_K(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  const f = Math.fround;
  for (let b = 0; b < count; b += Q6_K_ELEMS, offset += Q6_K_BYTES) {
    const d = readHalf(bytes, offset + 208);
    let ql = offset;
    let qh = offset + 128;
    let sc = offset + 192;
    let o = outOffset + b;
    for (let half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, o += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >>> 4;
        const h = bytes[qh + l];
        const q1 = ((bytes[ql + l] & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32] & 0x0f) | (((h >>> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l] >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32] >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
        const scale = (k: number): number => f(d * ((bytes[sc + is + k] << 24) >> 24));
        out[o + l] = scale(0) * q1;
        out[o + l + 32] = scale(2) * q2;
        out[o + l + 64] = scale(4) * q3;
        out[o + l + 96] = scale(6) * q4;
      }
    }
  }
}
