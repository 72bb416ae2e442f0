import { CpuBackend } from '@xlora/backend-cpu';
import type { HostTensor, NodeOf } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { architectureOpCases, type OpCase } from './op-cases.js';
import { compareClose } from './tolerance.js';

// The new ops' cases computed with plain formulas written here (f64, dense, no shared code with the kernels), against
// backend-cpu: the reference every other backend is compared with in opSuite.

type Ref = (c: OpCase) => Record<string, Float64Array>;
const data = (c: OpCase, name: string): HostTensor => c.feeds[name] ?? c.weights.get(name)!;
const nodeOf = <K extends NodeOf<'Attention'>['op'] | 'MoeMlp' | 'Softcap'>(c: OpCase, op: K) => c.graph.nodes.find((n) => n.op === op) as NodeOf<K>;

const attention: Ref = (c) => {
  const { numHeads: nH, numKvHeads: nKv, headDim: d, scale, slidingWindow, logitSoftcap } = nodeOf(c, 'Attention').attrs;
  const q = data(c, 'q'), k = data(c, 'k'), v = data(c, 'v'), pk = data(c, 'past_k'), pv = data(c, 'past_v'), mask = data(c, 'mask');
  const [batch, seq] = q.shape;
  const past = pk.shape[2], total = past + seq;
  const key = (src: 'k' | 'v', b: number, h: number, t: number, i: number) => (t < past
    ? (src === 'k' ? pk : pv).data[((b * nKv + h) * past + t) * d + i]
    : (src === 'k' ? k : v).data[((b * seq + t - past) * nKv + h) * d + i]);
  const out = new Float64Array(batch * seq * nH * d);
  const presentK = new Float64Array(batch * nKv * total * d), presentV = new Float64Array(batch * nKv * total * d);
  for (let b = 0; b < batch; b++) for (let h = 0; h < nKv; h++) for (let t = 0; t < total; t++) for (let i = 0; i < d; i++) {
    presentK[((b * nKv + h) * total + t) * d + i] = key('k', b, h, t, i);
    presentV[((b * nKv + h) * total + t) * d + i] = key('v', b, h, t, i);
  }
  for (let b = 0; b < batch; b++) for (let s = 0; s < seq; s++) for (let h = 0; h < nH; h++) {
    const kvh = Math.floor(h / (nH / nKv)), col = past + s;
    const visible = (t: number) => t <= col && mask.data[b * total + t] === 1 && (slidingWindow == null || col - t < slidingWindow);
    const scores: number[] = [];
    for (let t = 0; t < total; t++) {
      if (!visible(t)) { scores.push(-Infinity); continue; }
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q.data[((b * seq + s) * nH + h) * d + i] * key('k', b, kvh, t, i);
      const raw = dot * scale;
      scores.push(logitSoftcap == null ? raw : logitSoftcap * Math.tanh(raw / logitSoftcap));
    }
    const max = Math.max(...scores);
    if (max === -Infinity) continue;
    const e = scores.map((x) => Math.exp(x - max)), sum = e.reduce((a, x) => a + x, 0);
    for (let t = 0; t < total; t++) for (let i = 0; i < d; i++) out[((b * seq + s) * nH + h) * d + i] += (e[t] / sum) * key('v', b, kvh, t, i);
  }
  return { out, present_k: presentK, present_v: presentV };
};

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

const moe: Ref = (c) => {
  const { numExperts: e, topK } = nodeOf(c, 'MoeMlp').attrs;
  const x = data(c, 'x'), router = data(c, 'router');
  const h = x.shape[2], inter = c.weights.get('e0.gate')!.shape[0];
  const y = new Float64Array(x.data.length);
  for (let t = 0; t < x.data.length / h; t++) {
    const logits = Array.from(router.data.subarray(t * e, (t + 1) * e));
    const ex = logits.map((l) => Math.exp(l)), z = ex.reduce((a, b) => a + b, 0), p = ex.map((v) => v / z);
    const chosen = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, topK);
    const norm = chosen.reduce((a, j) => a + p[j], 0);
    for (let j = 0; j < e; j++) { // dense: every expert computed, weighted 0 unless chosen
      const w = chosen.includes(j) ? p[j] / norm : 0;
      const gate = c.weights.get(`e${j}.gate`)!, up = c.weights.get(`e${j}.up`)!, down = c.weights.get(`e${j}.down`)!;
      const act = Array.from({ length: inter }, (_, r) => {
        let gs = 0, us = 0;
        for (let i = 0; i < h; i++) { gs += gate.data[r * h + i] * x.data[t * h + i]; us += up.data[r * h + i] * x.data[t * h + i]; }
        return silu(gs) * us;
      });
      for (let o = 0; o < h; o++) {
        let s = 0;
        for (let r = 0; r < inter; r++) s += down.data[o * inter + r] * act[r];
        y[t * h + o] += w * s;
      }
    }
  }
  return { y };
};

const REFS: Record<string, Ref> = {
  Attention: attention,
  MoeMlp: moe,
  GeluTanhMul: (c) => ({ y: Float64Array.from(data(c, 'g').data, (g, i) => gelu(g) * data(c, 'u').data[i]) }),
  Softcap: (c) => {
    const cap = nodeOf(c, 'Softcap').attrs.cap;
    return { y: Float64Array.from(data(c, 'x').data, (x) => cap * Math.tanh(x / cap)) };
  },
};

describe('backend-cpu kernels of the architecture ops vs plain formulas', () => {
  for (const c of architectureOpCases()) {
    it(c.name, async () => {
      const ref = REFS[c.graph.nodes[0].op](c);
      const cpu = new CpuBackend();
      const got = await cpu.run(await cpu.compile(c.graph, c.weights), c.feeds);
      for (const [name, want] of Object.entries(ref)) {
        const g = await cpu.read(got[name]);
        const r = compareClose(`${c.name} / ${name}`, g.data, Float32Array.from(want), { atol: 1e-5, rtol: 1e-5 });
        expect(r.ok, r.message).toBe(true);
      }
    });
  }
  it('the cases are decisive: the window, the softcap and the routing change the outputs', () => {
    const [windowed] = architectureOpCases();
    const plain = { ...windowed, graph: { ...windowed.graph, nodes: windowed.graph.nodes.map((n) => ({ ...n, attrs: { ...n.attrs, slidingWindow: null } })) } } as OpCase;
    const a = attention(windowed).out, b = attention(plain).out;
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-2);
  });
});
