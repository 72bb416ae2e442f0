import { describe, expect, it } from 'vitest';
import { makeQkx2Quants } from './k-quant-search.js';
import { quantizeQ4_K } from './q4-k-quantize.js';

/**
 * The fast scale search (groups searched two at a time, x − min cached, no allocations) must take exactly the
 * decisions of ggml's make_qkx2_quants. The oracle below is a plain one-group reading of that C function, every
 * intermediate rounded to f32 in C's evaluation order, written for clarity, not speed.
 */
const f = Math.fround;
const nearest = (v: number) => f(f(v) + 12582912) - 12582912;

function plainQkx2(n: number, nmax: number, x: Float32Array, w: Float32Array, rmin: number, rdelta: number, nstep: number) {
  let min = x[0], max = x[0], sumW = w[0], sumX = f(w[0] * x[0]);
  for (let i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sumW = f(sumW + w[i]);
    sumX = f(sumX + f(w[i] * x[i]));
  }
  if (min > 0) min = 0;
  const L = new Uint8Array(n);
  if (max === min) return { scale: 0, theMin: -min, L };
  const clampLevel = (v: number) => Math.max(0, Math.min(nmax, nearest(v)));
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let best = 0;
  for (let i = 0; i < n; i++) {
    L[i] = clampLevel(f(iscale * f(x[i] - min)));
    const d = f(f(f(scale * L[i]) + min) - x[i]);
    best = f(best + f(w[i] * f(d * d)));
  }
  const aux = new Uint8Array(n);
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sl = 0, sl2 = 0, sxl = 0;
    for (let i = 0; i < n; i++) {
      const l = clampLevel(f(iscale * f(x[i] - min)));
      aux[i] = l;
      sl = f(sl + f(w[i] * l));
      sl2 = f(sl2 + f(f(w[i] * l) * l));
      sxl = f(sxl + f(f(w[i] * l) * x[i]));
    }
    const D = f(f(sumW * sl2) - f(sl * sl));
    if (!(D > 0)) continue;
    let s = f(f(f(sumW * sxl) - f(sumX * sl)) / D);
    let m = f(f(f(sl2 * sumX) - f(sl * sxl)) / D);
    if (m > 0) {
      m = 0;
      s = f(sxl / sl2);
    }
    let err = 0;
    for (let i = 0; i < n; i++) {
      const d = f(f(f(s * aux[i]) + m) - x[i]);
      err = f(err + f(w[i] * f(d * d)));
    }
    if (err < best) {
      L.set(aux);
      best = err;
      scale = s;
      min = m;
    }
  }
  return { scale, theMin: -min, L };
}

/** Deterministic rows mixing the shapes a weight matrix has: Gaussian-ish, offsets, one sign, zeros, outliers, tiny. */
function testRows(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = u() + u() + u() + u() - 2;
    switch ((i >> 8) % 8) {
      case 0: x[i] = g * 0.02; break;
      case 1: x[i] = g * (1 + (i & 31)); break; // sub-blocks of different spread
      case 2: x[i] = 3 + g; break;
      case 3: x[i] = -2 - Math.abs(g); break;
      case 4: x[i] = (i & 63) < 32 ? 0 : g; break;
      case 5: x[i] = (i % 11 === 0 ? 50 : 1) * g; break;
      case 6: x[i] = g * 1e-6; break;
      default: x[i] = Math.round(g * 4) / 4; // ties in the level search
    }
  }
  return x;
}

describe('q4_k scale search: the same decisions as ggml make_qkx2_quants', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 8 super-blocks of 8 sub-blocks each, levels, scales and mins equal`, () => {
      const x = testRows(8 * 256, seed);
      const groups = x.length / 32;
      // q4_k's weights: av_x + |x|, av_x the RMS of the 32-value sub-block
      const weights = new Float32Array(x.length);
      for (let b = 0; b < x.length; b += 32) {
        let sum = 0;
        for (let i = 0; i < 32; i++) sum = f(sum + f(x[b + i] * x[b + i]));
        const av = f(Math.sqrt(f(sum / 32)));
        for (let i = 0; i < 32; i++) weights[b + i] = f(av + Math.abs(x[b + i]));
      }
      const L = new Uint8Array(x.length);
      const scales = new Float32Array(groups);
      const mins = new Float32Array(groups);
      makeQkx2Quants(groups, 32, 15, x, 0, weights, L, 0, -1, f(0.1), 20, false, scales, mins);
      let trialsThatMovedTheMin = 0;
      for (let g = 0; g < groups; g++) {
        const xs = x.subarray(g * 32, g * 32 + 32);
        const want = plainQkx2(32, 15, xs, weights.subarray(g * 32, g * 32 + 32), -1, f(0.1), 20);
        expect([...L.subarray(g * 32, g * 32 + 32)]).toEqual([...want.L]);
        expect(scales[g]).toBe(want.scale);
        expect(mins[g]).toBe(want.theMin);
        if (want.theMin !== -Math.min(0, Math.min(...xs))) trialsThatMovedTheMin++;
      }
      // the case that matters: later trials run with the min of an earlier better trial
      expect(trialsThatMovedTheMin).toBeGreaterThan(0);
    });
  }
});
