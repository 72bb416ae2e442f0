import { f32, quantize, dequantize, type HostTensor } from '@xlora/core';
import { afterEach, describe, expect, it } from 'vitest';
import { matmul } from '../matmul.js';
import { simdKernel, useSimdMatmul } from './simd-matmul.js';

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Σ x·w in f64 in order, and Σ|x·w| (the scale an f32 sum's rounding is measured against). */
function reference(x: HostTensor, w: HostTensor): { y: Float64Array; scale: Float64Array } {
  const [n, k] = w.shape;
  const rows = x.data.length / k;
  const y = new Float64Array(rows * n), scale = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < k; i++) {
        const p = x.data[r * k + i] * w.data[c * k + i];
        y[r * n + c] += p;
        scale[r * n + c] += Math.abs(p);
      }
    }
  }
  return { y, scale };
}

function expectClose(got: HostTensor, want: { y: Float64Array; scale: Float64Array }, what: string): void {
  expect(got.data.length, what).toBe(want.y.length);
  for (let i = 0; i < want.y.length; i++) {
    // f32 lanes: a few ulps of Σ|x·w| (2^-24 ≈ 6e-8 per rounding, k/4 roundings per lane at most)
    expect(Math.abs(got.data[i] - want.y[i]), `${what} output ${i}`).toBeLessThanOrEqual(2e-6 * want.scale[i] + 1e-30);
  }
}

describe('WebAssembly SIMD matmul tile', () => {
  afterEach(() => useSimdMatmul(true));

  it('runs here (Node 20 has WebAssembly SIMD)', () => {
    expect(simdKernel()).not.toBeNull();
  });

  it('matches the f64 in-order sum for every tail: k not a multiple of 4, odd rows, a partial last tile', () => {
    for (const k of [1, 3, 4, 5, 130, 512]) {
      for (const rows of [1, 2, 3, 5]) {
        for (const n of [1, 4, 7, 9]) {
          const x = f32([rows, k], values(rows * k, k + rows));
          const w = f32([n, k], values(n * k, 7 * k + n));
          const what = `k ${k}, rows ${rows}, n ${n}`;
          expectClose(matmul(x, w), reference(x, w), what);
        }
      }
    }
  });

  it('equals the TypeScript kernel to f32 rounding, with a bias and a packed (q4_0) weight', () => {
    const x = f32([6, 256], values(6 * 256, 1));
    const w = quantize(f32([10, 256], values(10 * 256, 2)), 'q4_0');
    const bias = f32([10], values(10, 3));
    const simd = matmul(x, w, bias);
    useSimdMatmul(false);
    const plain = matmul(x, w, bias);
    const { y, scale } = reference(x, dequantize(w));
    for (let i = 0; i < y.length; i++) {
      const b = bias.data[i % 10];
      expect(Math.abs(plain.data[i] - (y[i] + b))).toBeLessThanOrEqual(1e-6 * (scale[i] + Math.abs(b)));
      expect(Math.abs(simd.data[i] - plain.data[i])).toBeLessThanOrEqual(2e-6 * (scale[i] + Math.abs(b)));
    }
  });

  it('splits rows into blocks when x would not fit its 32 MB of wasm memory', () => {
    const rows = 2050, k = 4096, n = 5; // 2050 · 4096 floats > 8 Mi floats: two blocks
    const x = f32([rows, k], values(rows * k, 11));
    const w = f32([n, k], values(n * k, 12));
    const got = matmul(x, w);
    for (const r of [0, 1, 2047, 2048, 2049]) {
      for (let c = 0; c < n; c++) {
        let s = 0, a = 0;
        for (let i = 0; i < k; i++) { const p = x.data[r * k + i] * w.data[c * k + i]; s += p; a += Math.abs(p); }
        expect(Math.abs(got.data[r * n + c] - s), `row ${r} col ${c}`).toBeLessThanOrEqual(2e-6 * a);
      }
    }
  });
});
