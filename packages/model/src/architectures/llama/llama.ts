import type { BaseModelConfig, SupportedArchitecture } from '@xlora/config';
import type { Value } from '@xlora/core';
import type { Architecture, ExpectedWeight, PassContext } from '../architecture.js';
import { cachedAttention } from '../building/attention.js';
import { decoderLayers, embedTokens, lmHead } from '../building/decoder.js';
import { linear } from '../building/linear.js';
import { decoderWeights, describeCommon, linearWeights, loraModuleTable, normWeight, type BlockLinear } from '../building/module-table.js';
import { rmsNorm } from '../building/norms.js';
import { ropeInverseFrequencies } from '../building/rope-frequencies.js';

export const ATTENTION_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_PROJECTIONS = ['gate_proj', 'up_proj', 'down_proj'] as const;

/** q/k/v/o of a standard attention block (self_attn.*), in registration order. */
export function attentionLinears(c: BaseModelConfig): BlockLinear[] {
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  return [
    { name: 'self_attn.q_proj', inFeatures: c.hiddenSize, outFeatures: q, bias: c.qkvBias },
    { name: 'self_attn.k_proj', inFeatures: c.hiddenSize, outFeatures: kv, bias: c.qkvBias },
    { name: 'self_attn.v_proj', inFeatures: c.hiddenSize, outFeatures: kv, bias: c.qkvBias },
    { name: 'self_attn.o_proj', inFeatures: q, outFeatures: c.hiddenSize, bias: c.oProjBias },
  ];
}

/** gate/up/down of a gated MLP (mlp.*), in registration order. */
export function mlpLinears(c: BaseModelConfig): BlockLinear[] {
  const h = c.hiddenSize, i = c.intermediateSize;
  return [
    { name: 'mlp.gate_proj', inFeatures: h, outFeatures: i, bias: c.mlpBias },
    { name: 'mlp.up_proj', inFeatures: h, outFeatures: i, bias: c.mlpBias },
    { name: 'mlp.down_proj', inFeatures: i, outFeatures: h, bias: c.mlpBias },
  ];
}

/** Separate q/k/v projections, RoPE, cached attention, o_proj: normed [B,S,H] → [B,S,H]. */
export function standardAttention(ctx: PassContext, normed: Value, layer: number, prefix: string,
  opts: { scale?: number; slidingWindow?: number | null; logitSoftcap?: number | null } = {}): Value {
  const c = ctx.config;
  const [q, k, v, o] = attentionLinears(c);
  const attn = cachedAttention(ctx, {
    layer,
    q: linear(ctx, `${prefix}.${q.name}`, normed, q.outFeatures, q.bias),
    k: linear(ctx, `${prefix}.${k.name}`, normed, k.outFeatures, k.bias),
    v: linear(ctx, `${prefix}.${v.name}`, normed, v.outFeatures, v.bias),
    rope: { invFreq: ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling), attentionFactor: 1 },
    scale: opts.scale ?? 1 / Math.sqrt(c.headDim),
    slidingWindow: opts.slidingWindow === undefined ? c.slidingWindow : opts.slidingWindow,
    logitSoftcap: opts.logitSoftcap ?? null,
  });
  return linear(ctx, `${prefix}.${o.name}`, attn, o.outFeatures, o.bias);
}

/** down(act(gate x) · up x) with SiLU (SwiGLU) or tanh-GELU (GeGLU): [B,S,H] → [B,S,H]. */
export function gatedMlp(ctx: PassContext, x: Value, prefix: string): Value {
  const { g, config: c } = ctx;
  const [gate, up, down] = mlpLinears(c);
  const gx = linear(ctx, `${prefix}.${gate.name}`, x, gate.outFeatures, gate.bias);
  const ux = linear(ctx, `${prefix}.${up.name}`, x, up.outFeatures, up.bias);
  const act = c.hiddenAct === 'silu' ? g.siluMul(gx, ux) : g.geluTanhMul(gx, ux);
  return linear(ctx, `${prefix}.${down.name}`, act, down.outFeatures, down.bias);
}

function* llamaLayerWeights(c: BaseModelConfig, prefix: string): Generator<ExpectedWeight> {
  yield normWeight(prefix, 'input_layernorm', c);
  for (const m of attentionLinears(c)) yield* linearWeights(prefix, m);
  yield normWeight(prefix, 'post_attention_layernorm', c);
  for (const m of mlpLinears(c)) yield* linearWeights(prefix, m);
}

/** Llama, Mistral and Qwen2 (transformers' LlamaForCausalLM and its copies): pre-norm blocks, SwiGLU MLP. */
function llamaFamily(name: SupportedArchitecture, label: string): Architecture {
  return {
    name,
    defaultLoraTargets: ['q_proj', 'v_proj'],
    allLinearNames: [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS],
    loraModules: (c) => loraModuleTable(c, [...attentionLinears(c), ...mlpLinears(c)]),
    expectedWeights: (c) => decoderWeights(c, (p) => llamaLayerWeights(c, p)),
    buildPass(ctx, hiddenName) {
      const { g } = ctx;
      const x = decoderLayers(ctx, embedTokens(ctx), (x, i, p) => {
        const afterAttn = g.addT(x, standardAttention(ctx, rmsNorm(ctx, `${p}.input_layernorm.weight`, x), i, p));
        return g.addT(afterAttn, gatedMlp(ctx, rmsNorm(ctx, `${p}.post_attention_layernorm.weight`, afterAttn), p));
      });
      return rmsNorm(ctx, 'model.norm.weight', x, false, hiddenName);
    },
    buildHead: (ctx, hidden) => lmHead(ctx, hidden),
    kvCache: (c) => ({ layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim }),
    describe: (c) => [
      `${label}: pre-norm RMSNorm blocks, SwiGLU MLP (intermediate ${c.intermediateSize})` +
        (c.qkvBias ? ', q/k/v biases' : '') + (c.oProjBias ? ', o_proj bias' : '') + (c.mlpBias ? ', MLP biases' : ''),
      ...describeCommon(c),
      c.slidingWindow === null ? 'full causal attention' : `sliding-window attention: ${c.slidingWindow} positions on every layer`,
    ],
  };
}

export const LLAMA = llamaFamily('LlamaForCausalLM', 'Llama');
export const MISTRAL = llamaFamily('MistralForCausalLM', 'Mistral');
export const QWEN2 = llamaFamily('Qwen2ForCausalLM', 'Qwen2');
