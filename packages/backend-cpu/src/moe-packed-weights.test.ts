import { dequantize, f32, GraphBuilder, isPacked, quantize, type HostTensor, type WeightTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu-backend.js';
import { cpuWeights } from './native-weight-uses.js';

function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/** A MoeMlp over 4 experts (hidden 64, intermediate 32, top-2) with the expert matrices in q8_0. */
function moeGraph(tokens: number) {
  const g = new GraphBuilder('moe');
  const experts = Array.from({ length: 4 }, (_, e) => ({
    gate: g.weight(`e${e}.gate`, [32, 64]), up: g.weight(`e${e}.up`, [32, 64]), down: g.weight(`e${e}.down`, [64, 32]),
  }));
  g.output('y', g.moeMlp(g.input('x', 'f32', [1, tokens, 64]), g.input('router', 'f32', [1, tokens, 4]), experts, { numExperts: 4, topK: 2 }, 'y'));
  const f32Weights = new Map<string, HostTensor<'f32'>>();
  experts.forEach((_, e) => {
    f32Weights.set(`e${e}.gate`, f32([32, 64], values(32 * 64, 10 + e, 0.3)));
    f32Weights.set(`e${e}.up`, f32([32, 64], values(32 * 64, 20 + e, 0.3)));
    f32Weights.set(`e${e}.down`, f32([64, 32], values(64 * 32, 30 + e, 0.3)));
  });
  const q8 = new Map<string, WeightTensor>([...f32Weights].map(([n, t]) => [n, quantize(t, 'q8_0', n)]));
  const deq = new Map<string, WeightTensor>([...q8].map(([n, t]) => [n, dequantize(t)]));
  const feeds = { x: f32([1, tokens, 64], values(tokens * 64, 1)), router: f32([1, tokens, 4], values(tokens * 4, 2, 3)) };
  return { graph: g.build(), q8, deq, feeds };
}

describe('MoeMlp with packed expert weights', () => {
  it('keeps q8_0 expert matrices packed and matches the dequantized weights (prefill exact, decode to 1e-6)', async () => {
    for (const tokens of [5, 1]) {
      const { graph, q8, deq, feeds } = moeGraph(tokens);
      expect([...cpuWeights(graph, q8).values()].every(isPacked)).toBe(true);
      const cpu = new CpuBackend();
      const got = (await cpu.read((await cpu.run(await cpu.compile(graph, q8), feeds)).y)).data;
      const want = (await cpu.read((await cpu.run(await cpu.compile(graph, deq), feeds)).y)).data;
      const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
      if (tokens > 1) expect(worst).toBe(0);
      else expect(worst).toBeLessThan(1e-6);
    }
  });
});
