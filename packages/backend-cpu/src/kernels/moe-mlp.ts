import { f32, type HostTensor, type MoeMlpAttrs, type WeightTensor } from '@xlora/core';
import { siluMul } from './elementwise.js';
import { matmul } from './matmul.js';

/** The `topK` largest of `p` (ties: lower index first), as indices in descending order of p. */
function topIndices(p: Float64Array, topK: number): number[] {
  const order = Array.from(p.keys());
  order.sort((a, b) => p[b] - p[a] || a - b);
  return order.slice(0, topK);
}

/**
 * Sparse MoE MLP (see MoeMlpAttrs): each token's router softmax, its top-k experts with renormalised weights, and
 * only those experts computed — each expert once, on the rows routed to it (gathered), like transformers'
 * MixtralSparseMoeBlock. Sums run in ascending expert order. x [B,S,H], routerLogits [B,S,E] -> [B,S,H].
 */
export function moeMlp(x: HostTensor, routerLogits: HostTensor, experts: readonly WeightTensor[], attrs: MoeMlpAttrs): HostTensor<'f32'> {
  const { numExperts: e, topK } = attrs;
  const hidden = x.shape[2];
  const tokens = x.data.length / hidden;
  const rows: number[][] = Array.from({ length: e }, () => []); // expert -> token rows routed to it
  const weights: number[][] = Array.from({ length: e }, () => []); // expert -> those rows' routing weights
  const p = new Float64Array(e);
  for (let t = 0; t < tokens; t++) {
    let max = -Infinity;
    for (let j = 0; j < e; j++) max = Math.max(max, routerLogits.data[t * e + j]);
    let sum = 0;
    for (let j = 0; j < e; j++) sum += (p[j] = Math.exp(routerLogits.data[t * e + j] - max));
    for (let j = 0; j < e; j++) p[j] = Math.fround(p[j] / sum);
    const chosen = topIndices(p, topK);
    let chosenSum = 0;
    for (const j of chosen) chosenSum = Math.fround(chosenSum + p[j]);
    for (const j of chosen) {
      rows[j].push(t);
      weights[j].push(Math.fround(p[j] / chosenSum));
    }
  }
  const out = f32(x.shape);
  for (let j = 0; j < e; j++) {
    const n = rows[j].length;
    if (n === 0) continue;
    const picked = f32([n, hidden]); // [n, H] rows routed to expert j
    rows[j].forEach((t, i) => picked.data.set((x.data as Float32Array).subarray(t * hidden, (t + 1) * hidden), i * hidden));
    const [gate, up, down] = experts.slice(3 * j, 3 * j + 3);
    const y = matmul(siluMul(matmul(picked, gate), matmul(picked, up)), down); // [n, H]
    rows[j].forEach((t, i) => {
      const w = weights[j][i];
      for (let h = 0; h < hidden; h++) out.data[t * hidden + h] += Math.fround(y.data[i * hidden + h] * w);
    });
  }
  return out;
}
