import { FORMAT_LAYOUT, floatToBf16Bits, floatToHalfBits, rowBytes } from '@xlora/core';
import { fillRandomBytes } from './random-stream.js';

/**
 * Random but valid weight bytes in a storage format, written straight in the format's layout (no quantizer run:
 * quantizing 7B random f32 values would take many minutes). Each format's scales are chosen so that the decoded
 * values have root-mean-square `rms` and mean ≈ 0, like a trained matrix of that spread.
 */
export type GeneratedFormat = 'f32' | 'bf16' | 'f16' | 'q8_0' | 'q4_0' | 'q4_k';
export const GENERATED_FORMATS: readonly GeneratedFormat[] = ['f32', 'bf16', 'f16', 'q8_0', 'q4_0', 'q4_k'];

/** Per-block scale jitter: factor uniform in [1 − J, 1 + J]; E[factor²] = 1 + J²/3. */
const JITTER = 0.2;
const JITTER_RMS = Math.sqrt(1 + (JITTER * JITTER) / 3);

/** rms of q − 8 for q uniform in 0..15 (q4_0 nibbles): E[(q − 8)²] = 21.5. */
const Q4_0_RMS = Math.sqrt(21.5);
/** rms of a q8_0 value uniform in −127..127 (a drawn −128 becomes −127): (2·Σk², k ≤ 127, + 127²) / 256. */
const Q8_0_RMS = Math.sqrt((2 * ((127 * 128 * 255) / 6) + 127 * 127) / 256);
/** q4_k: sub-block scales uniform in 16..63 and min = round(scale·15/16) with dmin = 8·d, so min·dmin ≈ 7.5·scale·d (centred nibbles). */
const Q4_K_SCALE_LO = 16;
const Q4_K_SCALE_SPAN = 48;
/** rms of d·scale·q − 8·d·min over the drawn scales and nibbles, per unit d (exact mean over the 48 scales). */
const Q4_K_RMS = (() => {
  let sum = 0;
  for (let s = Q4_K_SCALE_LO; s < Q4_K_SCALE_LO + Q4_K_SCALE_SPAN; s++) {
    const m = q4kMinFor(s);
    for (let q = 0; q < 16; q++) sum += (s * q - 8 * m) ** 2;
  }
  return Math.sqrt(sum / (Q4_K_SCALE_SPAN * 16));
})();

function q4kMinFor(scale: number): number {
  return Math.round((scale * 15) / 16);
}

/** Irwin–Hall over a u32's four bytes: mean 510, standard deviation √(4·(256² − 1)/12). */
const BYTE_SUM_STD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * `rows` rows of `cols` values in `format` with decoded rms `rms`, as one byte array ([rows, cols] row-major,
 * each row a run of blocks). `next` draws u32s.
 */
export function randomWeightBytes(format: GeneratedFormat, rows: number, cols: number, rms: number, next: () => number): Uint8Array {
  const perRow = rowBytes(format, cols);
  if (perRow === null) throw new Error(`a row of ${cols} values is not whole ${format} blocks`);
  const out = new Uint8Array(rows * perRow);
  const view = new DataView(out.buffer);
  const { blockBytes } = FORMAT_LAYOUT[format];
  const jitter = () => (1 - JITTER + (2 * JITTER * next()) / 4294967296) / JITTER_RMS;
  switch (format) {
    case 'f32': {
      const scale = rms / BYTE_SUM_STD;
      for (let i = 0; i < out.length; i += 4) {
        const w = next();
        view.setFloat32(i, ((w & 255) + ((w >>> 8) & 255) + ((w >>> 16) & 255) + (w >>> 24) - 510) * scale, true);
      }
      return out;
    }
    case 'bf16':
    case 'f16': {
      const toBits = format === 'bf16' ? floatToBf16Bits : floatToHalfBits;
      const scale = rms / BYTE_SUM_STD;
      for (let i = 0; i < out.length; i += 2) {
        const w = next();
        const sum = (w & 255) + ((w >>> 8) & 255) + ((w >>> 16) & 255) + (w >>> 24);
        view.setUint16(i, toBits((sum - 510) * scale), true);
      }
      return out;
    }
    case 'q8_0': {
      fillRandomBytes(next, out);
      for (let b = 0; b < out.length; b += blockBytes) {
        view.setUint16(b, floatToHalfBits((rms / Q8_0_RMS) * jitter()), true);
        for (let i = b + 2; i < b + blockBytes; i++) if (out[i] === 0x80) out[i] = 0x81; // −128 -> −127
      }
      return out;
    }
    case 'q4_0': {
      fillRandomBytes(next, out);
      for (let b = 0; b < out.length; b += blockBytes) view.setUint16(b, floatToHalfBits((rms / Q4_0_RMS) * jitter()), true);
      return out;
    }
    case 'q4_k': {
      fillRandomBytes(next, out);
      for (let b = 0; b < out.length; b += blockBytes) {
        const d = (rms / Q4_K_RMS) * jitter();
        view.setUint16(b, floatToHalfBits(d), true);
        view.setUint16(b + 2, floatToHalfBits(8 * d), true);
        const scales: number[] = [];
        for (let j = 0; j < 8; j++) scales.push(Q4_K_SCALE_LO + (next() % Q4_K_SCALE_SPAN));
        packQ4kScales(out, b + 4, scales, scales.map(q4kMinFor));
      }
      return out;
    }
  }
}

/**
 * ggml's 12-byte packing of eight 6-bit scales and mins (the inverse of get_scale_min_k4): bytes 0–3 hold
 * scales 0–3 and bytes 4–7 mins 0–3 in their low 6 bits, with the top 2 bits of scales/mins 4–7 above them;
 * bytes 8–11 hold the low 4 bits of scale (low nibble) and min (high nibble) 4–7.
 */
export function packQ4kScales(out: Uint8Array, at: number, scales: readonly number[], mins: readonly number[]): void {
  for (let j = 0; j < 4; j++) {
    out[at + j] = (scales[j] & 63) | ((scales[j + 4] >> 4) << 6);
    out[at + j + 4] = (mins[j] & 63) | ((mins[j + 4] >> 4) << 6);
    out[at + j + 8] = (scales[j + 4] & 15) | ((mins[j + 4] & 15) << 4);
  }
}
