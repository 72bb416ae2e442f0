import { f32, type AttentionAttrs, type HostTensor } from '@xlora/core';
import { attentionProbabilities, gatherHeads, queryBlocks, scatterHeads } from './attention-probabilities.js';

/** Appends new [B,S,nKv*hd] keys or values to a [B,nKv,P,hd] cache -> [B,nKv,P+S,hd]. */
export function appendToCache(past: HostTensor, fresh: HostTensor, numKvHeads: number, headDim: number): HostTensor<'f32'> {
  const [batch, , pastLen] = past.shape;
  const seq = fresh.shape[1];
  const total = pastLen + seq;
  const out = f32([batch, numKvHeads, total, headDim]);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < numKvHeads; h++) {
      const dst = ((b * numKvHeads + h) * total) * headDim;
      const src = ((b * numKvHeads + h) * pastLen) * headDim;
      out.data.set((past.data as Float32Array).subarray(src, src + pastLen * headDim), dst);
      for (let s = 0; s < seq; s++) {
        const from = ((b * seq + s) * numKvHeads + h) * headDim;
        out.data.set((fresh.data as Float32Array).subarray(from, from + headDim), dst + (pastLen + s) * headDim);
      }
    }
  }
  return out;
}

/**
 * Causal GQA attention over cache + new tokens. q [B,S,nH*hd]; mask [B,T] (1 = attend); with a sliding window W
 * query column P+s sees only columns > P+s-W; with a softcap c each score becomes c·tanh(score/c).
 * Per batch and kv head, the query rows of its heads get their scores q·Kᵀ from the tiled matmul
 * (attention-probabilities.ts), a block of query positions at a time; p·V is summed key by key in order (below), so
 * a row's output does not depend on where its keys sit in the cache (a request alone or in a padded batch: equal).
 * Returns [out [B,S,nH*hd], presentK, presentV].
 */
export function attention(
  q: HostTensor, k: HostTensor, v: HostTensor, pastK: HostTensor, pastV: HostTensor, mask: HostTensor,
  attrs: AttentionAttrs,
): HostTensor<'f32'>[] {
  const { numHeads, numKvHeads, headDim: hd } = attrs;
  const [batch, seq] = q.shape;
  const presentK = appendToCache(pastK, k, numKvHeads, hd);
  const presentV = appendToCache(pastV, v, numKvHeads, hd);
  const total = presentK.shape[2];
  const past = total - seq;
  const group = numHeads / numKvHeads;
  const out = f32(q.shape);
  const qd = q.data as Float32Array;
  for (let b = 0; b < batch; b++) {
    for (let kvh = 0; kvh < numKvHeads; kvh++) {
      const at = (b * numKvHeads + kvh) * total * hd;
      const keys = f32([total, hd], presentK.data.subarray(at, at + total * hd)); // [T, hd]
      const values = presentV.data.subarray(at, at + total * hd); // [T, hd]
      for (const [s0, s1] of queryBlocks(seq, group, total)) {
        const blk = { b, kvh, s0, s1 };
        const p = attentionProbabilities(gatherHeads(qd, blk, seq, numHeads, group, hd), keys, mask, blk, past, attrs); // [R, T]
        scatterHeads(weightedValues(p, values, hd), out.data, blk, seq, numHeads, group, hd); // [R, hd]
      }
    }
  }
  return [out, presentK, presentV];
}

/** p [R, T] · values [T, hd] -> [R, hd], each output summed over the keys in order in double precision, zeros skipped. */
function weightedValues(p: HostTensor<'f32'>, values: Float32Array, hd: number): Float32Array {
  const total = values.length / hd;
  const rows = p.data.length / total;
  const out = new Float32Array(rows * hd);
  const acc = new Float64Array(hd);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let t = 0; t < total; t++) {
      const w = p.data[r * total + t];
      if (w === 0) continue;
      const vo = t * hd;
      for (let i = 0; i < hd; i++) acc[i] += w * values[vo + i];
    }
    out.set(acc, r * hd);
  }
  return out;
}
