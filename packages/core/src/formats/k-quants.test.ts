import { describe, expect, it } from 'vitest';
import { f32 } from '../tensor.js';
import { dequantize, halfBitsToFloat, q4kScaleMin, quantize, type PackedFormat } from './index.js';

/**
 * q4_k and q6_k follow ggml's reference quantizers (quantize_row_q4_K_ref with make_qkx2_quants,
 * quantize_row_q6_K_ref with make_qx_quants), re-derived with the same f32 arithmetic. They are checked here
 *   1. with ggml's own test (tests/test-quantize-fns.cpp): its synthetic data generate_data(0, 4096) =
 *      0.1 + 2·cos(i), its error measure array_rmse = sqrt(Σ(x − y)²)/n and its bound MAX_QUANTIZATION_TOTAL_ERROR
 *      = 0.002 for both formats;
 *   2. on the structure the definitions imply, read back from the bytes independently of the decoder: every value
 *      decodes to the nearest level its sub-block can represent; the largest 6-bit q4_k scale (and min) of a
 *      super-block is 63; the largest-magnitude q6_k sub-block scale is −128; zero super-blocks are zero bytes.
 */

const f = Math.fround;

/** ggml's generate_data(offset, n): dst[i] = 0.1 + amplitude·cosf(i + offset) */
function ggmlTestData(n: number, offset = 0, amplitude = 2): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.1 + f(amplitude * f(Math.cos(f(i + offset))));
  return x;
}

/** ggml's array_rmse: sqrt(Σ(a − b)²)/n, summed in double */
function ggmlArrayRmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum) / a.length;
}

const MAX_QUANTIZATION_TOTAL_ERROR = 0.002;

const roundTrip = (x: Float32Array, format: PackedFormat, rows = 1) => {
  const q = quantize(f32([rows, x.length / rows], x), format);
  return { bytes: q.bytes, y: dequantize(q).data };
};

/** Deterministic test rows: Gaussian-ish sums, offset, one-signed and zero sub-blocks, outliers. */
function mixedData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const sub = i >> 5;
    const g = u() + u() + u() - 1.5;
    switch (sub % 6) {
      case 0: x[i] = g * 0.05; break; // weight-like
      case 1: x[i] = 3 + g; break; // all positive, offset
      case 2: x[i] = -2 - Math.abs(g); break; // all negative
      case 3: x[i] = 0; break; // zero sub-block
      case 4: x[i] = (i % 7 === 0 ? 40 : 1) * g; break; // outliers
      default: x[i] = g * 1e-4;
    }
  }
  return x;
}

/** |x − y| is at most the distance from x to the nearest level (plus f32 slop of the re-quantization). */
function expectNearestLevel(x: number, y: number, levels: number[], step: number, where: string): void {
  let best = Infinity;
  for (const v of levels) best = Math.min(best, Math.abs(x - v));
  expect(Math.abs(x - y), where).toBeLessThanOrEqual(best + 1e-5 * Math.abs(step) + 1e-12);
}

describe('q4_k: ggml reference quantizer', () => {
  it('meets ggml\'s test-quantize-fns bound on its synthetic data', () => {
    const x = ggmlTestData(4096);
    const errors = Object.fromEntries((['q8_0', 'q6_k', 'q4_k', 'q4_0'] as const).map((fmt) => [fmt, ggmlArrayRmse(x, roundTrip(x, fmt, 16).y)]));
    expect(errors.q4_k).toBeLessThan(MAX_QUANTIZATION_TOTAL_ERROR);
    expect(errors.q6_k).toBeLessThan(MAX_QUANTIZATION_TOTAL_ERROR);
    // the searched scales and mins do better than q4_0's single scale, and six bits better than four
    expect(errors.q4_k).toBeLessThan(errors.q4_0);
    expect(errors.q6_k).toBeLessThan(errors.q4_k / 3);
    expect(errors.q8_0).toBeLessThan(errors.q6_k);
  });

  it('every value decodes to the nearest level of its sub-block; the largest 6-bit scale and min are 63', () => {
    for (const x of [mixedData(1024, 1), mixedData(768, 2), ggmlTestData(512, 3, 1)]) {
      const { bytes, y } = roundTrip(x, 'q4_k');
      for (let b = 0; b < x.length / 256; b++) {
        const o = b * 144;
        const d = halfBitsToFloat(bytes[o] | (bytes[o + 1] << 8));
        const dmin = halfBitsToFloat(bytes[o + 2] | (bytes[o + 3] << 8));
        let maxScale = 0, maxMin = 0;
        for (let j = 0; j < 8; j++) {
          const [sc, m] = q4kScaleMin(bytes, o + 4, j);
          maxScale = Math.max(maxScale, sc);
          maxMin = Math.max(maxMin, m);
          const levels = Array.from({ length: 16 }, (_, q) => f(f(f(d * sc) * q) - f(dmin * m)));
          for (let i = 0; i < 32; i++) {
            const at = b * 256 + 32 * j + i;
            // the nibble that holds it: 64-value group j>>1, low nibbles for even sub-blocks
            const byte = bytes[o + 16 + 32 * (j >> 1) + i];
            const q = j % 2 === 0 ? byte & 15 : byte >> 4;
            expect(y[at]).toBe(levels[q]);
            expectNearestLevel(x[at], y[at], levels, d * sc, `super-block ${b} sub-block ${j} value ${i}`);
          }
        }
        const hasValues = x.subarray(b * 256, (b + 1) * 256).some((v) => v !== 0);
        if (hasValues) expect(maxScale).toBe(63);
        if (x.subarray(b * 256, (b + 1) * 256).some((v) => v < 0)) expect(maxMin).toBe(63);
      }
    }
  });

  it('an all-zero super-block is 144 zero bytes; super-blocks and rows are independent', () => {
    const { bytes } = roundTrip(new Float32Array(256), 'q4_k');
    expect([...bytes]).toEqual(new Array(144).fill(0));
    const x = mixedData(1024, 4);
    const whole = roundTrip(x, 'q4_k', 2).bytes;
    for (let b = 0; b < 4; b++) {
      expect([...whole.subarray(b * 144, (b + 1) * 144)]).toEqual([...roundTrip(x.slice(b * 256, (b + 1) * 256), 'q4_k').bytes]);
    }
  });
});

describe('q6_k: ggml reference quantizer', () => {
  it('every value decodes to the nearest level of its sub-block; the largest-magnitude scale is −128', () => {
    for (const x of [mixedData(1024, 5), ggmlTestData(512, 1, 1.5)]) {
      const { bytes, y } = roundTrip(x, 'q6_k');
      for (let b = 0; b < x.length / 256; b++) {
        const o = b * 210;
        const d = halfBitsToFloat(bytes[o + 208] | (bytes[o + 209] << 8));
        const scales = Array.from(bytes.subarray(o + 192, o + 208), (s) => (s << 24) >> 24);
        expect(Math.min(...scales)).toBe(-128); // iscale = −128/max_scale maps the largest to −128
        for (let j = 0; j < 16; j++) {
          const ds = f(d * scales[j]);
          const levels = Array.from({ length: 64 }, (_, q) => f(ds * (q - 32)));
          for (let i = 0; i < 16; i++) {
            const at = b * 256 + 16 * j + i;
            // value v of a 128-value half: 4 low bits in ql[(v & 63)] (high nibble for v ≥ 64), 2 high bits in qh
            const half = (16 * j + i) >> 7, v = (16 * j + i) & 127;
            const lowByte = bytes[o + 64 * half + (v & 63)];
            const low = v < 64 ? lowByte & 15 : lowByte >> 4;
            const high = (bytes[o + 128 + 32 * half + (v & 31)] >> (2 * (v >> 5))) & 3;
            expect(y[at]).toBe(levels[low | (high << 4)]);
            expectNearestLevel(x[at], y[at], levels, ds, `super-block ${b} sub-block ${j} value ${i}`);
          }
        }
      }
    }
  });

  it('an all-zero super-block is 210 zero bytes; super-blocks are independent', () => {
    expect([...roundTrip(new Float32Array(256), 'q6_k').bytes]).toEqual(new Array(210).fill(0));
    const x = mixedData(512, 6);
    const whole = roundTrip(x, 'q6_k').bytes;
    expect([...whole.subarray(210)]).toEqual([...roundTrip(x.slice(256), 'q6_k').bytes]);
  });
});
