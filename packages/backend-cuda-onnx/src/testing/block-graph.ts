import { GraphBuilder, i32, type Graph, type HostTensor, type MixtureSegment, type Value } from '@xlora/core';

/** Sizes of one Llama-style decoder block (with an X-LoRA mixture on every linear layer when `experts` > 0). */
export interface BlockDims {
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  /** number of LoRA experts (0: plain block) and the rank of each */
  experts: number;
  rank: number;
}

export interface BlockCase {
  graph: Graph;
  weights: Map<string, HostTensor>;
  /** feeds for `batch` rows of `seq` new tokens on a cache of `past` */
  feeds(batch: number, seq: number, past: number, seed?: number): Record<string, HostTensor>;
}

/** Deterministic uniform [-scale, scale) values (mulberry32). */
export function seeded(seed: number): (n: number, scale?: number) => Float32Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n, scale = 1) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/**
 * One decoder block as the model builds it: RmsNorm -> q/k/v (+ mixtures) -> Rope -> Attention with KV append ->
 * o (+ mixture) -> residual -> RmsNorm -> gate/up (+ mixtures) -> SiluMul -> down (+ mixture) -> residual.
 * inputs: x [batch, seq, H], position_ids, attention_mask [batch, past+seq], past_k/past_v, scalings [batch, seq, 7, C].
 */
export function blockGraph(d: BlockDims): BlockCase {
  const headDim = d.hidden / d.heads;
  const kvDim = d.kvHeads * headDim;
  const g = new GraphBuilder('block');
  const weights = new Map<string, HostTensor>();
  const rand = seeded(42);
  const w = (name: string, shape: number[], scale: number): Value => {
    weights.set(name, { dtype: 'f32', shape, data: rand(shape.reduce((a, b) => a * b, 1), scale) });
    return g.weight(name, shape);
  };
  const x = g.input('x', 'f32', ['batch', 'seq', d.hidden]);
  const pos = g.input('position_ids', 'i32', ['batch', 'seq']);
  const mask = g.input('attention_mask', 'i32', ['batch', 'past+seq']);
  const pastK = g.input('past_k', 'f32', ['batch', d.kvHeads, 'past', headDim]);
  const pastV = g.input('past_v', 'f32', ['batch', d.kvHeads, 'past', headDim]);
  const scalings = d.experts > 0 ? g.input('scalings', 'f32', ['batch', 'seq', 7, d.experts]) : null;
  const segments: MixtureSegment[] = Array.from({ length: d.experts }, (_, e) => ({ expert: e, offset: e * d.rank, rank: d.rank }));
  let layer = 0;
  const linear = (name: string, input: Value, dout: number, din: number): Value => {
    const base = g.matmul(input, w(`${name}.weight`, [dout, din], 1 / Math.sqrt(din)));
    if (!scalings) return base;
    const r = d.experts * d.rank;
    return g.xloraMixture(input, base, w(`${name}.lora_A`, [r, din], 0.1), w(`${name}.lora_B`, [dout, r], 0.1), scalings,
      { layer: layer++, numExperts: d.experts, segments, topK: null, softmaxTopK: false, globalWeight: 1 });
  };
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / headDim));
  const h = g.rmsNorm(x, w('input_layernorm.weight', [d.hidden], 1), { eps: 1e-6 });
  const q = g.rope(linear('q_proj', h, d.hidden, d.hidden), pos, { numHeads: d.heads, headDim, invFreq, attentionFactor: 1 });
  const k = g.rope(linear('k_proj', h, kvDim, d.hidden), pos, { numHeads: d.kvHeads, headDim, invFreq, attentionFactor: 1 });
  const v = linear('v_proj', h, kvDim, d.hidden);
  const [attn, presentK, presentV] = g.attention(q, k, v, pastK, pastV, mask,
    { numHeads: d.heads, numKvHeads: d.kvHeads, headDim, scale: 1 / Math.sqrt(headDim) }, { presentK: 'present_k', presentV: 'present_v' });
  const r1 = g.addT(x, linear('o_proj', attn, d.hidden, d.hidden));
  const h2 = g.rmsNorm(r1, w('post_attention_layernorm.weight', [d.hidden], 1), { eps: 1e-6 });
  const act = g.siluMul(linear('gate_proj', h2, d.intermediate, d.hidden), linear('up_proj', h2, d.intermediate, d.hidden));
  const y = g.addT(r1, linear('down_proj', act, d.hidden, d.intermediate), 'y');
  g.output('y', y);
  g.output('present_k', presentK);
  g.output('present_v', presentV);

  const feeds = (batch: number, seq: number, past: number, seed = 7): Record<string, HostTensor> => {
    const r = seeded(seed);
    const total = past + seq;
    const f: Record<string, HostTensor> = {
      x: { dtype: 'f32', shape: [batch, seq, d.hidden], data: r(batch * seq * d.hidden) },
      position_ids: i32([batch, seq], Array.from({ length: batch * seq }, (_, i) => past + (i % seq))),
      attention_mask: i32([batch, total], Array.from({ length: batch * total }, (_, i) => (i % total === 0 && batch > 1 && i > 0 ? 0 : 1))),
      past_k: { dtype: 'f32', shape: [batch, d.kvHeads, past, headDim], data: r(batch * kvDim * past) },
      past_v: { dtype: 'f32', shape: [batch, d.kvHeads, past, headDim], data: r(batch * kvDim * past) },
    };
    if (d.experts > 0) {
      const s = r(batch * seq * 7 * d.experts).map(Math.abs);
      f.scalings = { dtype: 'f32', shape: [batch, seq, 7, d.experts], data: s };
    }
    return f;
  };
  return { graph: g.build(), weights, feeds };
}
