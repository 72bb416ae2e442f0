import type { Value } from '@xlora/core';
import type { PassContext } from '../architecture.js';
import { cacheNames } from '../cache-names.js';

export interface AttentionSpec {
  layer: number;
  /** [B,S,nH*hd], [B,S,nKv*hd], [B,S,nKv*hd] before RoPE */
  q: Value;
  k: Value;
  v: Value;
  rope: { invFreq: readonly number[]; attentionFactor: number };
  scale: number;
  slidingWindow: number | null;
  logitSoftcap: number | null;
}

/**
 * RoPE on q and k, then causal GQA attention over the layer's KV cache of this pass (declared as graph inputs
 * `<pass>.past.<layer>.*` and outputs `<pass>.present.<layer>.*`). Returns [B,S,nH*hd].
 */
export function cachedAttention(ctx: PassContext, spec: AttentionSpec): Value {
  const { g, config, inputs, pass } = ctx;
  const { numAttentionHeads: nH, numKeyValueHeads: nKv, headDim } = config;
  const ropeAttrs = { headDim, invFreq: spec.rope.invFreq, attentionFactor: spec.rope.attentionFactor };
  const q = g.rope(spec.q, inputs.positionIds, { ...ropeAttrs, numHeads: nH });
  const k = g.rope(spec.k, inputs.positionIds, { ...ropeAttrs, numHeads: nKv });
  const names = cacheNames(pass, spec.layer);
  const pastShape = ['batch', nKv, 'past', headDim];
  const pastK = g.input(names.pastKey, 'f32', pastShape);
  const pastV = g.input(names.pastValue, 'f32', pastShape);
  const [out, presentK, presentV] = g.attention(q, k, spec.v, pastK, pastV, inputs.attentionMask, {
    numHeads: nH, numKvHeads: nKv, headDim, scale: spec.scale, slidingWindow: spec.slidingWindow, logitSoftcap: spec.logitSoftcap,
  }, { presentK: names.presentKey, presentV: names.presentValue });
  g.output(names.presentKey, presentK);
  g.output(names.presentValue, presentV);
  return out;
}
