import { f32, type AttentionAttrs, type HostTensor } from '@xlora/core';

/**
 * Attention backward w.r.t. the new tokens' q, k, v (past caches are constants). Per query, with the probabilities
 * p_t recomputed as attention.ts does (f32 scores, masked, causal, sliding window, softcap c·tanh(score/c) whose
 * slope 1 − tanh² multiplies ds):
 *   dv_t += p_t·dOut,  dp_t = dOut·v_t,  ds_t = p_t(dp_t − Σ p·dp),  dq += scale·Σ ds_t k_t,  dk_t += scale·ds_t q
 * Returns [dq [B,S,nH*hd], dk [B,S,nKv*hd], dv [B,S,nKv*hd]].
 */
export function attentionGrad(
  q: HostTensor, k: HostTensor, v: HostTensor, pastK: HostTensor, pastV: HostTensor, mask: HostTensor, dOut: HostTensor,
  attrs: AttentionAttrs,
): HostTensor<'f32'>[] {
  const { numHeads, numKvHeads, headDim: hd, scale } = attrs;
  const window = attrs.slidingWindow ?? null;
  const cap = attrs.logitSoftcap ?? null;
  const [batch, seq] = q.shape;
  const past = pastK.shape[2];
  const total = past + seq;
  const group = numHeads / numKvHeads;
  const kvDim = numKvHeads * hd;
  const qd = q.data as Float32Array, gd = dOut.data as Float32Array;
  // key/value row of cache position t (past or new) for batch b, kv head h
  const keyAt = (src: 'k' | 'v', b: number, h: number, t: number): [Float32Array, number] => {
    if (t < past) {
      const cache = (src === 'k' ? pastK : pastV).data as Float32Array;
      return [cache, ((b * numKvHeads + h) * past + t) * hd];
    }
    return [(src === 'k' ? k : v).data as Float32Array, ((b * seq + (t - past)) * numKvHeads + h) * hd];
  };
  const dq = f32(q.shape);
  const dkAll = new Float64Array(batch * total * kvDim);
  const dvAll = new Float64Array(batch * total * kvDim);
  const p = new Float64Array(total);
  const dp = new Float64Array(total);
  const capSlope = new Float64Array(total); // d capped score / d raw score
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const visible = past + s + 1;
      const first = window === null ? 0 : Math.max(0, visible - window);
      for (let h = 0; h < numHeads; h++) {
        const kvh = Math.floor(h / group);
        const qo = ((b * seq + s) * numHeads + h) * hd;
        let max = -Infinity;
        for (let t = 0; t < visible; t++) {
          p[t] = -Infinity;
          if (t < first || mask.data[b * total + t] === 0) continue;
          const [kd, ko] = keyAt('k', b, kvh, t);
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += qd[qo + i] * kd[ko + i];
          p[t] = Math.fround(dot * scale);
          if (cap !== null) {
            const th = Math.tanh(p[t] / cap);
            p[t] = cap * th;
            capSlope[t] = 1 - th * th;
          } else {
            capSlope[t] = 1;
          }
          if (p[t] > max) max = p[t];
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let t = 0; t < visible; t++) {
          p[t] = p[t] === -Infinity ? 0 : Math.exp(p[t] - max);
          sum += p[t];
        }
        let pdp = 0;
        for (let t = 0; t < visible; t++) {
          p[t] /= sum;
          if (p[t] === 0) { dp[t] = 0; continue; }
          const [vd, vo] = keyAt('v', b, kvh, t);
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += gd[qo + i] * vd[vo + i];
          dp[t] = dot;
          pdp += p[t] * dot;
          const dvo = (b * total + t) * kvDim + kvh * hd;
          for (let i = 0; i < hd; i++) dvAll[dvo + i] += p[t] * gd[qo + i];
        }
        for (let t = 0; t < visible; t++) {
          if (p[t] === 0) continue;
          const ds = p[t] * (dp[t] - pdp) * capSlope[t] * scale;
          const [kd, ko] = keyAt('k', b, kvh, t);
          const dko = (b * total + t) * kvDim + kvh * hd;
          for (let i = 0; i < hd; i++) {
            dq.data[qo + i] += ds * kd[ko + i];
            dkAll[dko + i] += ds * qd[qo + i];
          }
        }
      }
    }
  }
  const dk = f32(k.shape);
  const dv = f32(v.shape);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const from = (b * total + past + s) * kvDim;
      dk.data.set(dkAll.subarray(from, from + kvDim), (b * seq + s) * kvDim);
      dv.data.set(dvAll.subarray(from, from + kvDim), (b * seq + s) * kvDim);
    }
  }
  return [dq, dk, dv];
}
