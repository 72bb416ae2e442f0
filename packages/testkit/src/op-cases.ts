import { GraphBuilder, i32, type Graph, type HostTensor, type OpAttrs } from '@xlora/core';
import { randomF32, randomInts, rng } from './random.js';

/** One op test: a small graph, its weights and feeds. Every backend must match backend-cpu on it. */
export interface OpCase {
  name: string;
  graph: Graph;
  weights: Map<string, HostTensor>;
  feeds: Record<string, HostTensor>;
}

type Rand = () => number;

function single(
  name: string,
  build: (g: GraphBuilder, w: Map<string, HostTensor>, feeds: Record<string, HostTensor>, rand: Rand) => void,
  seed: number,
): OpCase {
  const g = new GraphBuilder(name);
  const weights = new Map<string, HostTensor>();
  const feeds: Record<string, HostTensor> = {};
  build(g, weights, feeds, rng(seed));
  return { name, graph: g.build(), weights, feeds };
}

function leftPadMask(batch: number, total: number, pads: number[]): HostTensor<'i32'> {
  const m = i32([batch, total]);
  for (let b = 0; b < batch; b++) for (let t = 0; t < total; t++) m.data[b * total + t] = t < (pads[b] ?? 0) ? 0 : 1;
  return m;
}

function matmulCase(rows: number[], k: number, n: number, bias: boolean, seed: number): OpCase {
  return single(`MatMul x[${rows}] · w[${n},${k}]${bias ? ' + bias' : ''}`, (g, w, feeds, rand) => {
    feeds.x = randomF32(rand, [...rows, k]);
    w.set('w', randomF32(rand, [n, k], 0.5));
    if (bias) w.set('bias', randomF32(rand, [n]));
    const x = g.input('x', 'f32', [...rows, k]);
    g.output('y', g.matmul(x, g.weight('w', [n, k]), bias ? g.weight('bias', [n]) : undefined, 'y'));
  }, seed);
}

function attentionCase(label: string, batch: number, seq: number, past: number, heads: number, kvHeads: number,
  headDim: number, pads: number[], seed: number, extra: Pick<OpAttrs['Attention'], 'slidingWindow' | 'logitSoftcap'> = {}): OpCase {
  return single(`Attention ${label}`, (g, _w, feeds, rand) => {
    const attrs: OpAttrs['Attention'] = { numHeads: heads, numKvHeads: kvHeads, headDim, scale: 1 / Math.sqrt(headDim), ...extra };
    feeds.q = randomF32(rand, [batch, seq, heads * headDim]);
    feeds.k = randomF32(rand, [batch, seq, kvHeads * headDim]);
    feeds.v = randomF32(rand, [batch, seq, kvHeads * headDim]);
    feeds.past_k = randomF32(rand, [batch, kvHeads, past, headDim]);
    feeds.past_v = randomF32(rand, [batch, kvHeads, past, headDim]);
    feeds.mask = leftPadMask(batch, past + seq, pads);
    const v = (n: string) => g.input(n, feeds[n].dtype, feeds[n].shape);
    const [out, pk, pv] = g.attention(v('q'), v('k'), v('v'), v('past_k'), v('past_v'), v('mask'), attrs,
      { out: 'out', presentK: 'present_k', presentV: 'present_v' });
    g.output('out', out);
    g.output('present_k', pk);
    g.output('present_v', pv);
  }, seed);
}

function mixtureCase(label: string, attrs: Omit<OpAttrs['XLoraMixture'], 'numExperts'>, numExperts: number,
  scalingShape: number[], din: number, dout: number, seed: number): OpCase {
  return single(`XLoraMixture ${label}`, (g, w, feeds, rand) => {
    const rank = attrs.segments.reduce((n, s) => n + s.rank, 0);
    feeds.x = randomF32(rand, [2, 3, din]);
    feeds.base = randomF32(rand, [2, 3, dout]);
    feeds.scalings = randomF32(rand, scalingShape);
    for (let i = 0; i < feeds.scalings.data.length; i++) feeds.scalings.data[i] = Math.abs(feeds.scalings.data[i]);
    w.set('a', randomF32(rand, [rank, din], 0.3));
    w.set('b', randomF32(rand, [dout, rank], 0.3));
    const x = g.input('x', 'f32', [2, 3, din]);
    const base = g.input('base', 'f32', [2, 3, dout]);
    const sc = g.input('scalings', 'f32', scalingShape);
    g.output('y', g.xloraMixture(x, base, g.weight('a', [rank, din]), g.weight('b', [dout, rank]), sc, { ...attrs, numExperts }, 'y'));
  }, seed);
}

/**
 * Mixtral-style MoE MLP cases: x [B,S,H], router logits [B,S,E] (scaled up so the top-k is decisive), per-expert
 * gate/up [I,H] and down [H,I] weights named `e<j>.gate` / `e<j>.up` / `e<j>.down`.
 */
export function moeCase(label: string, batch: number, seq: number, hidden: number, inter: number, experts: number, topK: number, seed: number): OpCase {
  return single(`MoeMlp ${label}`, (g, w, feeds, rand) => {
    feeds.x = randomF32(rand, [batch, seq, hidden]);
    feeds.router = randomF32(rand, [batch, seq, experts], 3);
    const ws = Array.from({ length: experts }, (_, j) => {
      w.set(`e${j}.gate`, randomF32(rand, [inter, hidden], 0.4));
      w.set(`e${j}.up`, randomF32(rand, [inter, hidden], 0.4));
      w.set(`e${j}.down`, randomF32(rand, [hidden, inter], 0.4));
      return { gate: g.weight(`e${j}.gate`, [inter, hidden]), up: g.weight(`e${j}.up`, [inter, hidden]), down: g.weight(`e${j}.down`, [hidden, inter]) };
    });
    g.output('y', g.moeMlp(g.input('x', 'f32', [batch, seq, hidden]), g.input('router', 'f32', [batch, seq, experts]), ws, { numExperts: experts, topK }, 'y'));
  }, seed);
}

/** The attention cases of the architectures beyond Llama: sliding windows (prefill past the window, decode on a longer cache) and logit softcapping. */
export function windowedAttentionCases(): OpCase[] {
  return [
    attentionCase('sliding window 3, prefill of 7, left pads', 2, 7, 0, 4, 2, 8, [0, 2], 18, { slidingWindow: 3 }),
    attentionCase('sliding window 4, decode on a cache of 9', 2, 1, 9, 4, 2, 8, [0, 3], 19, { slidingWindow: 4 }),
    attentionCase('sliding window 2, chunk of 3 on a cache of 5', 1, 3, 5, 2, 1, 4, [0], 20, { slidingWindow: 2 }),
    attentionCase('logit softcap 0.5 (scores well beyond it), GQA', 2, 5, 2, 4, 2, 8, [0, 1], 21, { logitSoftcap: 0.5 }),
    attentionCase('softcap 1 + sliding window 4 (Gemma 2 even layer), decode', 1, 1, 6, 2, 1, 8, [0], 22, { slidingWindow: 4, logitSoftcap: 1 }),
  ];
}

/** Cases of GeluTanhMul, Softcap and MoeMlp. */
export function architectureOpCases(): OpCase[] {
  return [
    ...windowedAttentionCases(),
    single('GeluTanhMul', (g, _w, feeds, rand) => {
      feeds.g = randomF32(rand, [2, 3, 10], 4);
      feeds.u = randomF32(rand, [2, 3, 10]);
      g.output('y', g.geluTanhMul(g.input('g', 'f32', [2, 3, 10]), g.input('u', 'f32', [2, 3, 10]), 'y'));
    }, 23),
    single('Softcap 0.5', (g, _w, feeds, rand) => {
      feeds.x = randomF32(rand, [2, 1, 9], 3);
      g.output('y', g.softcap(g.input('x', 'f32', [2, 1, 9]), 0.5, 'y'));
    }, 24),
    moeCase('prefill, top-2 of 4', 2, 3, 8, 6, 4, 2, 25),
    moeCase('decode one token, top-2 of 8', 2, 1, 12, 5, 8, 2, 26),
    moeCase('top-1 of 3', 1, 4, 6, 4, 3, 1, 27),
  ];
}

/** The op conformance cases: every op in the catalog, odd sizes, broadcasting, caches, padding. */
export function opCases(): OpCase[] {
  const seg = (expert: number, offset: number, rank: number) => ({ expert, offset, rank });
  return [
    single('Gather', (g, w, feeds, rand) => {
      w.set('table', randomF32(rand, [37, 12]));
      feeds.ids = randomInts(rand, [2, 5], 37);
      g.output('y', g.gather(g.weight('table', [37, 12]), g.input('ids', 'i32', [2, 5]), 'y'));
    }, 1),
    matmulCase([2, 3], 16, 8, false, 2),
    matmulCase([1, 1], 33, 17, true, 3),
    matmulCase([2, 5], 64, 130, false, 4),
    single('Add same shape + Mul broadcast', (g, _w, feeds, rand) => {
      feeds.a = randomF32(rand, [2, 3, 7]);
      feeds.b = randomF32(rand, [2, 3, 7]);
      feeds.c = randomF32(rand, [7]);
      const a = g.input('a', 'f32', [2, 3, 7]);
      const s = g.addT(a, g.input('b', 'f32', [2, 3, 7]));
      g.output('y', g.mul(s, g.input('c', 'f32', [7]), 'y'));
    }, 5),
    single('RmsNorm', (g, w, feeds, rand) => {
      feeds.x = randomF32(rand, [2, 3, 24], 3);
      w.set('w', randomF32(rand, [24]));
      g.output('y', g.rmsNorm(g.input('x', 'f32', [2, 3, 24]), g.weight('w', [24]), { eps: 1e-5 }, 'y'));
    }, 6),
    single('Rope', (g, _w, feeds, rand) => {
      const headDim = 8, heads = 3;
      const invFreq = Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / headDim));
      feeds.x = randomF32(rand, [2, 4, heads * headDim]);
      feeds.pos = i32([2, 4], [0, 1, 2, 3, 1, 1, 0, 200]);
      g.output('y', g.rope(g.input('x', 'f32', [2, 4, heads * headDim]), g.input('pos', 'i32', [2, 4]),
        { numHeads: heads, headDim, invFreq, attentionFactor: 1 }, 'y'));
    }, 7),
    attentionCase('prefill, MHA', 1, 5, 0, 2, 2, 4, [0], 8),
    attentionCase('prefill, GQA, left pads', 2, 6, 0, 4, 2, 8, [0, 2], 9),
    attentionCase('decode one token on a cache, GQA 3:1', 2, 1, 7, 6, 2, 4, [0, 3], 10),
    attentionCase('chunk of 3 on a cache', 1, 3, 4, 2, 1, 16, [0], 11),
    single('SiluMul, Relu', (g, _w, feeds, rand) => {
      feeds.g = randomF32(rand, [2, 3, 10], 4);
      feeds.u = randomF32(rand, [2, 3, 10]);
      const y = g.siluMul(g.input('g', 'f32', [2, 3, 10]), g.input('u', 'f32', [2, 3, 10]));
      g.output('y', g.relu(y, 'y'));
    }, 12),
    single('Softmax with temperature', (g, _w, feeds, rand) => {
      feeds.x = randomF32(rand, [2, 3, 5], 4);
      g.output('y', g.softmax(g.input('x', 'f32', [2, 3, 5]), 0.5, 'y'));
    }, 13),
    single('Reshape + Slice last token', (g, _w, feeds, rand) => {
      feeds.x = randomF32(rand, [2, 4, 6]);
      const r = g.reshape(g.input('x', 'f32', [2, 4, 6]), [0, 0, 2, 3]);
      g.output('y', g.slice(r, { axis: 1, start: -1, end: null }, 'y'));
    }, 14),
    mixtureCase('mixed ranks, one layer', { layer: 0, segments: [seg(0, 0, 4), seg(1, 4, 8), seg(2, 12, 2)], topK: null, softmaxTopK: false, globalWeight: 1 },
      3, [2, 3, 1, 3], 16, 12, 15),
    mixtureCase('layerwise, missing expert, top-2 + softmax', { layer: 2, segments: [seg(0, 0, 4), seg(2, 4, 2)], topK: 2, softmaxTopK: true, globalWeight: 0.7 },
      3, [2, 3, 5, 3], 9, 20, 16),
    mixtureCase('broadcast constant scalings, top-1', { layer: 1, segments: [seg(1, 0, 3), seg(3, 3, 5)], topK: 1, softmaxTopK: false, globalWeight: 1.3 },
      4, [1, 1, 2, 4], 8, 8, 17),
    ...architectureOpCases(),
  ];
}
