import type { BaseModelConfig } from '@xlora/config';
import type { Architecture, PassContext } from '../architecture.js';
import type { Value } from '@xlora/core';
import { cachedAttention } from '../building/attention.js';
import { decoderLayers, embedTokens, lmHead } from '../building/decoder.js';
import { linear } from '../building/linear.js';
import { decoderWeights, describeCommon, linearWeights, loraModuleTable, normWeight, type BlockLinear } from '../building/module-table.js';
import { rmsNorm } from '../building/norms.js';
import { longRope, ropeInverseFrequencies } from '../building/rope-frequencies.js';

/** Phi-3's linears in PyTorch registration order (Phi3Attention registers o_proj before qkv_proj): X-LoRA's layer order. */
function phi3Linears(c: BaseModelConfig): BlockLinear[] {
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const h = c.hiddenSize, i = c.intermediateSize;
  return [
    { name: 'self_attn.o_proj', inFeatures: q, outFeatures: h },
    { name: 'self_attn.qkv_proj', inFeatures: h, outFeatures: q + 2 * kv },
    { name: 'mlp.gate_up_proj', inFeatures: h, outFeatures: 2 * i },
    { name: 'mlp.down_proj', inFeatures: i, outFeatures: h },
  ];
}

function rope(c: BaseModelConfig, variant: string | null) {
  if (c.ropeScaling?.ropeType === 'longrope') return longRope(c, variant === 'long');
  return { invFreq: ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling), attentionFactor: 1 };
}

function phi3Block(ctx: PassContext, x: Value, layer: number, p: string): Value {
  const { g, config: c } = ctx;
  const [o, qkv, gateUp, down] = phi3Linears(c);
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const fused = linear(ctx, `${p}.${qkv.name}`, rmsNorm(ctx, `${p}.input_layernorm.weight`, x), qkv.outFeatures); // [B,S,q+2kv]
  const attn = cachedAttention(ctx, {
    layer,
    q: g.slice(fused, { axis: 2, start: 0, end: q }),
    k: g.slice(fused, { axis: 2, start: q, end: q + kv }),
    v: g.slice(fused, { axis: 2, start: q + kv, end: q + 2 * kv }),
    rope: rope(c, ctx.variant),
    scale: 1 / Math.sqrt(c.headDim),
    slidingWindow: c.slidingWindow,
    logitSoftcap: null,
  });
  const afterAttn = g.addT(x, linear(ctx, `${p}.${o.name}`, attn, o.outFeatures));
  const gu = linear(ctx, `${p}.${gateUp.name}`, rmsNorm(ctx, `${p}.post_attention_layernorm.weight`, afterAttn), gateUp.outFeatures); // [B,S,2I]
  const i = c.intermediateSize;
  const act = g.siluMul(g.slice(gu, { axis: 2, start: 0, end: i }), g.slice(gu, { axis: 2, start: i, end: 2 * i }));
  return g.addT(afterAttn, linear(ctx, `${p}.${down.name}`, act, down.outFeatures));
}

/**
 * Phi-3 (Phi3ForCausalLM): fused qkv_proj (q, k, v split after the projection and its LoRA) and gate_up_proj
 * (gate = first half), Llama-style norms, and LongRoPE: short factors while every position is below
 * original_max_position_embeddings, long ones beyond (a different graph: see variantFor).
 */
export const PHI3: Architecture = {
  name: 'Phi3ForCausalLM',
  defaultLoraTargets: ['qkv_proj'],
  allLinearNames: ['o_proj', 'qkv_proj', 'gate_up_proj', 'down_proj'],
  loraModules: (c) => loraModuleTable(c, phi3Linears(c)),
  expectedWeights: (c) => decoderWeights(c, function* (p) {
    const [o, qkv, gateUp, down] = phi3Linears(c);
    yield normWeight(p, 'input_layernorm', c);
    yield* linearWeights(p, qkv);
    yield* linearWeights(p, o);
    yield normWeight(p, 'post_attention_layernorm', c);
    yield* linearWeights(p, gateUp);
    yield* linearWeights(p, down);
  }),
  buildPass(ctx, hiddenName) {
    const x = decoderLayers(ctx, embedTokens(ctx), (x, i, p) => phi3Block(ctx, x, i, p));
    return rmsNorm(ctx, 'model.norm.weight', x, false, hiddenName);
  },
  buildHead: (ctx, hidden) => lmHead(ctx, hidden),
  kvCache: (c) => ({ layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim }),
  variantFor(c, maxPosition) {
    if (c.ropeScaling?.ropeType !== 'longrope') return null;
    return maxPosition + 1 > (c.originalMaxPositionEmbeddings ?? c.maxPositionEmbeddings) ? 'long' : 'short';
  },
  describe: (c) => [
    `Phi-3: fused qkv_proj (${c.numAttentionHeads * c.headDim} + 2×${c.numKeyValueHeads * c.headDim}) and gate_up_proj (2×${c.intermediateSize}), SwiGLU MLP; X-LoRA layer order o_proj, qkv_proj, gate_up_proj, down_proj`,
    ...describeCommon(c),
    ...(c.ropeScaling?.ropeType === 'longrope' ? [`LongRoPE attention factor ${longRope(c, false).attentionFactor}`] : []),
    c.slidingWindow === null ? 'full causal attention' : `sliding-window attention: ${c.slidingWindow} positions on every layer`,
  ],
};
