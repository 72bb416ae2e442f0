import { f32, type AttentionAttrs, type HostTensor } from '@xlora/core';

/** Appends new [B,S,nKv*hd] keys or values to a [B,nKv,P,hd] cache -> [B,nKv,P+S,hd]. */
function appendToCache(past: HostTensor, fresh: HostTensor, numKvHeads: number, headDim: number): HostTensor<'f32'> {
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
 * Returns [out [B,S,nH*hd], presentK, presentV].
 */
export function attention(
  q: HostTensor, k: HostTensor, v: HostTensor, pastK: HostTensor, pastV: HostTensor, mask: HostTensor,
  attrs: AttentionAttrs,
): HostTensor<'f32'>[] {
  const { numHeads, numKvHeads, headDim, scale } = attrs;
  const window = attrs.slidingWindow ?? null;
  const cap = attrs.logitSoftcap ?? null;
  const [batch, seq] = q.shape;
  const presentK = appendToCache(pastK, k, numKvHeads, headDim);
  const presentV = appendToCache(pastV, v, numKvHeads, headDim);
  const total = presentK.shape[2];
  const past = total - seq;
  const group = numHeads / numKvHeads;
  const out = f32(q.shape);
  const scores = new Float32Array(total);
  const kd = presentK.data, vd = presentV.data, qd = q.data as Float32Array;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const visible = past + s + 1;
      const first = window === null ? 0 : Math.max(0, visible - window); // oldest column in the window
      for (let h = 0; h < numHeads; h++) {
        const kvh = Math.floor(h / group);
        const qo = ((b * seq + s) * numHeads + h) * headDim;
        const cacheBase = (b * numKvHeads + kvh) * total * headDim;
        let max = -Infinity;
        for (let t = first; t < visible; t++) {
          if (mask.data[b * total + t] === 0) continue;
          const ko = cacheBase + t * headDim;
          let dot = 0;
          for (let i = 0; i < headDim; i++) dot += qd[qo + i] * kd[ko + i];
          scores[t] = Math.fround(dot * scale);
          if (cap !== null) scores[t] = Math.fround(cap * Math.fround(Math.tanh(Math.fround(scores[t] / cap))));
          if (scores[t] > max) max = scores[t];
        }
        if (max === -Infinity) continue; // no visible key: output stays 0
        let sum = 0;
        for (let t = first; t < visible; t++) {
          if (mask.data[b * total + t] === 0) continue;
          scores[t] = Math.exp(scores[t] - max);
          sum += scores[t];
        }
        for (let t = first; t < visible; t++) {
          if (mask.data[b * total + t] === 0) continue;
          const p = scores[t] / sum;
          const vo = cacheBase + t * headDim;
          for (let i = 0; i < headDim; i++) out.data[qo + i] += p * vd[vo + i];
        }
      }
    }
  }
  return [out, presentK, presentV];
}
