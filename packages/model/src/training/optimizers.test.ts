import { f32 } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { warmupCosineFactor } from './lr-schedule.js';
import type { ParameterMap } from './parameters.js';
import { Sgd } from './sgd.js';

const map = (values: number[]): ParameterMap => new Map([['p', f32([values.length], values)]]);

describe('optimizers', () => {
  it('SGD: p − lr·g', () => {
    const p = map([1, -2]);
    new Sgd().step(p, map([0.5, 4]), 0.1);
    expect(Array.from(p.get('p')!.data)).toEqual([Math.fround(0.95), Math.fround(-2.4)]);
  });

  it('AdamW step 1 is p(1 − lr·wd) − lr·g/(|g| + eps): the bias corrections cancel the (1 − β) factors', () => {
    const p = map([1, -2, 0.5]);
    const g = [0.3, -1e-7, 2];
    const opt = new AdamW({ betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 });
    opt.step(p, map(g), 0.01);
    [1, -2, 0.5].forEach((p0, i) => {
      expect(p.get('p')!.data[i]).toBeCloseTo(p0 * (1 - 0.001) - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8), 6);
    });
  });

  it('AdamW step 2 with the same gradient moves by lr·g/(|g|+eps) again (m̂ = g, sqrt(v̂) = |g|)', () => {
    const p = map([0]);
    const opt = new AdamW({ betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    opt.step(p, map([0.5]), 0.1);
    opt.step(p, map([0.5]), 0.1);
    expect(p.get('p')!.data[0]).toBeCloseTo(-0.2, 6);
    expect(opt.steps).toBe(2);
  });

  it('clipGradNorm scales by maxNorm/(norm + 1e-6) only when the norm is larger', () => {
    const g = map([3, 4]);
    expect(clipGradNorm(g, 1)).toBe(5);
    expect(g.get('p')!.data[0]).toBeCloseTo(3 / (5 + 1e-6), 7);
    const small = map([0.3, 0.4]);
    clipGradNorm(small, 1);
    expect(Array.from(small.get('p')!.data)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it('warm-up + cosine: linear to 1 over the warm-up, half way down at the middle, 0 at the end', () => {
    expect(warmupCosineFactor(0, 10, 110)).toBe(0);
    expect(warmupCosineFactor(5, 10, 110)).toBe(0.5);
    expect(warmupCosineFactor(10, 10, 110)).toBe(1);
    expect(warmupCosineFactor(60, 10, 110)).toBeCloseTo(0.5, 12);
    expect(warmupCosineFactor(110, 10, 110)).toBeCloseTo(0, 12);
    // a floor of 10 %: halfway 0.1 + 0.9·0.5 = 0.55, the end 0.1; warm-up unchanged
    expect(warmupCosineFactor(60, 10, 110, 0.1)).toBeCloseTo(0.55, 12);
    expect(warmupCosineFactor(110, 10, 110, 0.1)).toBeCloseTo(0.1, 12);
    expect(warmupCosineFactor(5, 10, 110, 0.1)).toBe(0.5);
    expect(() => warmupCosineFactor(5, 10, 110, 1.5)).toThrow('minimum ratio must be in [0, 1]');
  });
});
