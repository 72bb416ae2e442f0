import { f32, type AttentionAttrs, type HostTensor } from '@xlora/core';
import { attentionProbabilities, gatherHeads, queryBlocks, scatterHeads } from './attention-probabilities.js';
import { appendToCache } from './attention.js';
import { matmul } from './matmul.js';
import { matmulNN } from './matmul-nn.js';
import { matmulTN } from './matmul-tn.js';

/**
 * Attention backward w.r.t. the new tokens' q, k, v (past caches are constants). Per batch and kv head, over the
 * stacked query rows of its heads, with the probabilities P recomputed as attention.ts does (and the softcap's slope
 * 1 − tanh² multiplying dS):
 *   dV = Pᵀ dOut,  dP = dOut Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)) · slope · scale,  dQ = dS K,  dK = dSᵀ Q
 * all on the tiled matmul kernels. Returns [dq [B,S,nH*hd], dk [B,S,nKv*hd], dv [B,S,nKv*hd]].
 */
export function attentionGrad(
  q: HostTensor, k: HostTensor, v: HostTensor, pastK: HostTensor, pastV: HostTensor, mask: HostTensor, dOut: HostTensor,
  attrs: AttentionAttrs,
): HostTensor<'f32'>[] {
  const { numHeads, numKvHeads, headDim: hd, scale } = attrs;
  const [batch, seq] = q.shape;
  const past = pastK.shape[2];
  const total = past + seq;
  const group = numHeads / numKvHeads;
  const kvDim = numKvHeads * hd;
  const qd = q.data as Float32Array, gd = dOut.data as Float32Array;
  const dq = f32(q.shape), dk = f32(k.shape), dv = f32(v.shape);
  const presentK = appendToCache(pastK, k, numKvHeads, hd), presentV = appendToCache(pastV, v, numKvHeads, hd); // [B, nKv, T, hd]
  for (let b = 0; b < batch; b++) {
    for (let kvh = 0; kvh < numKvHeads; kvh++) {
      const at = (b * numKvHeads + kvh) * total * hd;
      const keys = f32([total, hd], presentK.data.subarray(at, at + total * hd)); // [T, hd]
      const values = f32([total, hd], presentV.data.subarray(at, at + total * hd)); // [T, hd]
      const dKeys = new Float32Array(total * hd), dValues = new Float32Array(total * hd);
      for (const [s0, s1] of queryBlocks(seq, group, total)) {
        const blk = { b, kvh, s0, s1 };
        const qRows = gatherHeads(qd, blk, seq, numHeads, group, hd); // [R, hd]
        const dRows = gatherHeads(gd, blk, seq, numHeads, group, hd); // [R, hd]
        const slope = new Float32Array((qRows.data.length / hd) * total);
        const p = attentionProbabilities(qRows, keys, mask, blk, past, attrs, slope); // [R, T]
        addInto(dValues, matmulTN(p, dRows).data); // [T, hd]
        const dS = matmul(dRows, values); // [R, T] = dP
        const pd = p.data, sd = dS.data;
        for (let o = 0; o < pd.length; o += total) {
          let pdp = 0;
          for (let t = 0; t < total; t++) pdp += pd[o + t] * sd[o + t];
          for (let t = 0; t < total; t++) sd[o + t] = pd[o + t] === 0 ? 0 : pd[o + t] * (sd[o + t] - pdp) * slope[o + t] * scale;
        }
        scatterHeads(matmulNN(dS, keys).data, dq.data, blk, seq, numHeads, group, hd); // [R, hd]
        addInto(dKeys, matmulTN(dS, qRows).data); // [T, hd]
      }
      // the new tokens' rows [past, T) into [B, S, nKv·hd] at head kvh
      for (let s = 0; s < seq; s++) {
        const to = (b * seq + s) * kvDim + kvh * hd, from = (past + s) * hd;
        dk.data.set(dKeys.subarray(from, from + hd), to);
        dv.data.set(dValues.subarray(from, from + hd), to);
      }
    }
  }
  return [dq, dk, dv];
}

function addInto(acc: Float32Array, x: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += x[i];
}
