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
      // values l < 16 use the sub-block scales sc[0,2,4,6], l ≥ 16 sc[1,3,5,7]
      for (let is = 0; is < 2; is++) {
        const s1 = f(d * ((bytes[sc + is] << 24) >> 24)), s2 = f(d * ((bytes[sc + is + 2] << 24) >> 24));
        const s3 = f(d * ((bytes[sc + is + 4] << 24) >> 24)), s4 = f(d * ((bytes[sc + is + 6] << 24) >> 24));
        for (let l = 16 * is; l < 16 * is + 16; l++) {
          const h = bytes[qh + l];
          const lo = bytes[ql + l], hi = bytes[ql + l + 32];
          out[o + l] = s1 * (((lo & 0x0f) | ((h & 3) << 4)) - 32);
          out[o + l + 32] = s2 * (((hi & 0x0f) | (((h >>> 2) & 3) << 4)) - 32);
          out[o + l + 64] = s3 * (((lo >>> 4) | (((h >>> 4) & 3) << 4)) - 32);
          out[o + l + 96] = s4 * (((hi >>> 4) | (((h >>> 6) & 3) << 4)) - 32);
        }
      }
    }
  }
}
