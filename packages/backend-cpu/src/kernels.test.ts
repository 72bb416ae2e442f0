import { f32, i32, GraphBuilder } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { attention } from './kernels/attention.js';
import { matmul } from './kernels/matmul.js';
import { rmsNorm } from './kernels/rms-norm.js';
import { rope } from './kernels/rope.js';
import { softmax } from './kernels/softmax.js';
import { xloraMixture } from './kernels/xlora-mixture.js';
import { CpuBackend } from './cpu-backend.js';

// Hand-computed values: the cpu backend is the oracle of every other backend, so it is checked on its own.
describe('cpu kernels', () => {
  it('matmul is x · wᵀ + bias', () => {
    const y = matmul(f32([1, 2], [1, 2]), f32([3, 2], [1, 0, 0, 1, 1, 1]), f32([3], [10, 20, 30]));
    expect(Array.from(y.data)).toEqual([11, 22, 33]);
  });

  it('softmax divides by the temperature', () => {
    const y = softmax(f32([1, 2], [0, Math.log(3) / 2]), 0.5);
    expect(y.data[0]).toBeCloseTo(0.25, 6);
    expect(y.data[1]).toBeCloseTo(0.75, 6);
  });

  it('rmsNorm scales to unit RMS times the weight', () => {
    const y = rmsNorm(f32([1, 2], [3, 4]), f32([2], [1, 2]), 0);
    const rms = Math.sqrt((9 + 16) / 2);
    expect(y.data[0]).toBeCloseTo(3 / rms, 6);
    expect(y.data[1]).toBeCloseTo((2 * 4) / rms, 6);
  });

  it('rope rotates pairs (i, i + d/2) by pos · invFreq', () => {
    const x = f32([1, 2, 2], [1, 0, 1, 0]);
    const y = rope(x, i32([1, 2], [0, 1]), { numHeads: 1, headDim: 2, invFreq: [Math.PI / 2], attentionFactor: 1 });
    expect(Array.from(y.data.subarray(0, 2))).toEqual([1, 0]);
    expect(y.data[2]).toBeCloseTo(0, 6); // cos(π/2)
    expect(y.data[3]).toBeCloseTo(1, 6); // sin(π/2)
  });

  it('attention: causal, masks pads, shares KV heads, appends the cache, zero for rows with no key', () => {
    // 2 query heads share 1 KV head (headDim 1). Keys equal, so weights are uniform over visible valid keys.
    const q = f32([1, 3, 2], [1, 1, 1, 1, 1, 1]);
    const k = f32([1, 3, 1], [0, 0, 0]);
    const v = f32([1, 3, 1], [5, 1, 3]);
    const empty = f32([1, 1, 0, 1]);
    const [out, pk, pv] = attention(q, k, v, empty, empty, i32([1, 3], [0, 1, 1]), { numHeads: 2, numKvHeads: 1, headDim: 1, scale: 1 });
    expect(Array.from(out.data)).toEqual([0, 0, 1, 1, 2, 2]); // pos0 masked → 0; pos1 sees v1; pos2 sees mean(v1, v2)
    expect(pk.shape).toEqual([1, 1, 3, 1]);
    expect(Array.from(pv.data)).toEqual([5, 1, 3]);
  });

  it('xloraMixture: base + g·Σ s_c·B_c A_c x, with top-k and softmax over the kept experts', () => {
    // two rank-1 experts; A picks x, B writes 1 → delta = g·(s0 + s1)·x before top-k
    const x = f32([1, 1, 1], [2]);
    const base = f32([1, 1, 1], [100]);
    const a = f32([2, 1], [1, 1]);
    const b = f32([1, 2], [1, 1]);
    const segs = [{ expert: 0, offset: 0, rank: 1 }, { expert: 1, offset: 1, rank: 1 }];
    const sc = f32([1, 1, 1, 2], [0.25, 0.75]);
    const plain = xloraMixture(x, base, a, b, sc, { layer: 0, numExperts: 2, segments: segs, topK: null, softmaxTopK: false, globalWeight: 2 });
    expect(plain.data[0]).toBeCloseTo(100 + 2 * (0.25 + 0.75) * 2, 6);
    const top1 = xloraMixture(x, base, a, b, sc, { layer: 0, numExperts: 2, segments: segs, topK: 1, softmaxTopK: false, globalWeight: 1 });
    expect(top1.data[0]).toBeCloseTo(100 + 0.75 * 2, 6);
    const top1Soft = xloraMixture(x, base, a, b, sc, { layer: 0, numExperts: 2, segments: segs, topK: 1, softmaxTopK: true, globalWeight: 1 });
    expect(top1Soft.data[0]).toBeCloseTo(100 + 1 * 2, 6);
  });

  it('runs a graph and rejects missing inputs and wrongly shaped weights with clear errors', async () => {
    const g = new GraphBuilder('t');
    g.output('y', g.matmul(g.input('x', 'f32', ['batch', 2]), g.weight('w', [3, 2]), undefined, 'y'));
    const graph = g.build();
    const cpu = new CpuBackend();
    await expect(cpu.compile(graph, new Map([['w', f32([2, 2])]]))).rejects.toThrow('weight "w": expected shape [3, 2], got [2, 2]');
    const exe = await cpu.compile(graph, new Map([['w', f32([3, 2], [1, 0, 0, 1, 1, 1])]]));
    await expect(cpu.run(exe, {})).rejects.toThrow('missing input "x"');
    const out = await cpu.read((await cpu.run(exe, { x: f32([1, 2], [2, 3]) })).y);
    expect(Array.from(out.data)).toEqual([2, 3, 5]);
  });
});
