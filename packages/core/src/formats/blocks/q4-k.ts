import { readHalf } from './read-half.js';

/**
 * q4_k: 256-value super-blocks { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } = 144 bytes. Eight sub-blocks of 32
 * values, each with a 6-bit scale and a 6-bit min packed into `scales`; value = d·scale·q − dmin·min. The 128 bytes
 * of qs hold four 64-value groups: the low nibbles of 32 bytes are sub-block 2g, their high nibbles sub-block 2g+1.
 */
export const Q4_K_ELEMS = 256;
export const Q4_K_BYTES = 144;

/** Sub-block j's 6-bit scale from the 12 packed bytes at bytes[offset] (ggml's get_scale_min_k4). */
export function q4kScale(bytes: Uint8Array, offset: number, j: number): number {
  return j < 4 ? bytes[offset + j] & 63 : (bytes[offset + j + 4] & 0x0f) | ((bytes[offset + j - 4] >>> 6) << 4);
}

/** Sub-block j's 6-bit min from the 12 packed bytes at bytes[offset]. */
export function q4kMin(bytes: Uint8Array, offset: number, j: number): number {
  return j < 4 ? bytes[offset + j + 4] & 63 : (bytes[offset + j + 4] >>> 4) | ((bytes[offset + j] >>> 6) << 4);
}

/** Sub-block j's (scale, min). */
export function q4kScaleMin(bytes: Uint8Array, offset: number, j: number): [number, number] {
  return [q4kScale(bytes, offset, j), q4kMin(bytes, offset, j)];
}

/** Decodes `count` values (whole super-blocks) starting at bytes[offset] into out[outOffset..]. */
export function decodeQ4_K(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  const f = Math.fround;
  for (let b = 0; b < count; b += Q4_K_ELEMS, offset += Q4_K_BYTES) {
    const d = readHalf(bytes, offset);
    const dmin = readHalf(bytes, offset + 2);
    const scales = offset + 4;
    let q = offset + 16;
    let o = outOffset + b;
    for (let g = 0; g < 4; g++, q += 32, o += 64) {
      const d1 = f(d * q4kScale(bytes, scales, 2 * g)), min1 = f(dmin * q4kMin(bytes, scales, 2 * g));
      const d2 = f(d * q4kScale(bytes, scales, 2 * g + 1)), min2 = f(dmin * q4kMin(bytes, scales, 2 * g + 1));
      for (let l = 0; l < 32; l++) {
        const byte = bytes[q + l];
        out[o + l] = f(d1 * (byte & 0x0f)) - min1;
        out[o + 32 + l] = f(d2 * (byte >>> 4)) - min2;
      }
    }
  }
}
