import { halfToFloatTable, type PackedFormat } from '@xlora/core';

/**
 * Dot products of one f32 row x[x0..x0+k) with four consecutive packed weight rows (the first at bytes[offset..],
 * `stride` bytes apart), straight from the blocks (no decoded copy), into out[at..at+4). Four independent sums keep
 * the FPU busy and load each x once. Each weight value is formed as the format's decoder forms it — (q − 8)·d and
 * q·d are exact in f32 (a 4- or 8-bit integer times an f16) — and each sum runs in index order, so the result
 * equals the f32 kernel over the dequantized rows bit for bit.
 */
export type BlockDot4 = (bytes: Uint8Array, offset: number, stride: number, xs: Float32Array, x0: number, k: number, out: Float32Array, at: number) => void;

const half = halfToFloatTable();
const readHalf = (bytes: Uint8Array, o: number) => half[bytes[o] | (bytes[o + 1] << 8)];

function dot4Q8_0(bytes: Uint8Array, offset: number, stride: number, xs: Float32Array, x0: number, k: number, out: Float32Array, at: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const r1 = offset + stride, r2 = r1 + stride, r3 = r2 + stride;
  for (let b = 0, o = 0; b < k; b += 32, o += 34) {
    const d0 = readHalf(bytes, offset + o), d1 = readHalf(bytes, r1 + o), d2 = readHalf(bytes, r2 + o), d3 = readHalf(bytes, r3 + o);
    const q0 = offset + o + 2, q1 = r1 + o + 2, q2 = r2 + o + 2, q3 = r3 + o + 2;
    const x = x0 + b;
    for (let i = 0; i < 32; i++) {
      const u = xs[x + i];
      s0 += u * (((bytes[q0 + i] << 24) >> 24) * d0);
      s1 += u * (((bytes[q1 + i] << 24) >> 24) * d1);
      s2 += u * (((bytes[q2 + i] << 24) >> 24) * d2);
      s3 += u * (((bytes[q3 + i] << 24) >> 24) * d3);
    }
  }
  out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3;
}

function dot4Q4_0(bytes: Uint8Array, offset: number, stride: number, xs: Float32Array, x0: number, k: number, out: Float32Array, at: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const r1 = offset + stride, r2 = r1 + stride, r3 = r2 + stride;
  for (let b = 0, o = 0; b < k; b += 32, o += 18) {
    const d0 = readHalf(bytes, offset + o), d1 = readHalf(bytes, r1 + o), d2 = readHalf(bytes, r2 + o), d3 = readHalf(bytes, r3 + o);
    const q0 = offset + o + 2, q1 = r1 + o + 2, q2 = r2 + o + 2, q3 = r3 + o + 2;
    const x = x0 + b;
    // index order: elements 0–15 (low nibbles) first, then 16–31 (high nibbles)
    for (let i = 0; i < 16; i++) {
      const u = xs[x + i];
      s0 += u * (((bytes[q0 + i] & 15) - 8) * d0);
      s1 += u * (((bytes[q1 + i] & 15) - 8) * d1);
      s2 += u * (((bytes[q2 + i] & 15) - 8) * d2);
      s3 += u * (((bytes[q3 + i] & 15) - 8) * d3);
    }
    for (let i = 0; i < 16; i++) {
      const u = xs[x + 16 + i];
      s0 += u * (((bytes[q0 + i] >>> 4) - 8) * d0);
      s1 += u * (((bytes[q1 + i] >>> 4) - 8) * d1);
      s2 += u * (((bytes[q2 + i] >>> 4) - 8) * d2);
      s3 += u * (((bytes[q3 + i] >>> 4) - 8) * d3);
    }
  }
  out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3;
}

/** The formats with a fused dot; the others (and the last n mod 4 rows) decode rows into a scratch (weight-rows.ts). */
export const BLOCK_DOTS: Partial<Record<PackedFormat, BlockDot4>> = { q8_0: dot4Q8_0, q4_0: dot4Q4_0 };
