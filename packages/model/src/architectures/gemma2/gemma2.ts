import type { BaseModelConfig } from '@xlora/config';
import type { Architecture } from '../architecture.js';
import { decoderLayers, embedTokens, lmHead } from '../building/decoder.js';
import { decoderWeights, describeCommon, linearWeights, loraModuleTable, normWeight } from '../building/module-table.js';
import { rmsNorm } from '../building/norms.js';
import { embedScale } from '../gemma/gemma.js';
import { ATTENTION_PROJECTIONS, attentionLinears, gatedMlp, MLP_PROJECTIONS, mlpLinears, standardAttention } from '../llama/llama.js';

/** transformers 4.47 Gemma 2: layer i has sliding-window attention iff i is even */
export const isSlidingLayer = (layer: number) => layer % 2 === 0;

const attentionScale = (c: BaseModelConfig) => 1 / Math.sqrt(c.queryPreAttnScalar ?? c.headDim);

/**
 * Gemma 2 (Gemma2ForCausalLM): Gemma plus sandwich norms (post-attention, pre- and post-feed-forward), attention
 * scale query_pre_attn_scalar^-0.5, attention-logit and final-logit softcapping, and a sliding window on the even
 * layers (computed in the KV cache too: the goldens are uncached, since transformers 4.47's cached Gemma 2 is wrong
 * past the window).
 */
export const GEMMA2: Architecture = {
  name: 'Gemma2ForCausalLM',
  defaultLoraTargets: ['q_proj', 'v_proj'],
  allLinearNames: [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS],
  loraModules: (c) => loraModuleTable(c, [...attentionLinears(c), ...mlpLinears(c)]),
  expectedWeights: (c) => decoderWeights(c, function* (p) {
    yield normWeight(p, 'input_layernorm', c);
    for (const m of attentionLinears(c)) yield* linearWeights(p, m);
    yield normWeight(p, 'post_attention_layernorm', c);
    yield normWeight(p, 'pre_feedforward_layernorm', c);
    for (const m of mlpLinears(c)) yield* linearWeights(p, m);
    yield normWeight(p, 'post_feedforward_layernorm', c);
  }),
  buildPass(ctx, hiddenName) {
    const { g, config: c } = ctx;
    const x = decoderLayers(ctx, embedTokens(ctx, embedScale(c.hiddenSize)), (x, i, p) => {
      const attn = standardAttention(ctx, rmsNorm(ctx, `${p}.input_layernorm.weight`, x, true), i, p, {
        scale: attentionScale(c), slidingWindow: isSlidingLayer(i) ? c.slidingWindow : null, logitSoftcap: c.attnLogitSoftcapping,
      });
      const afterAttn = g.addT(x, rmsNorm(ctx, `${p}.post_attention_layernorm.weight`, attn, true));
      const mlp = gatedMlp(ctx, rmsNorm(ctx, `${p}.pre_feedforward_layernorm.weight`, afterAttn, true), p);
      return g.addT(afterAttn, rmsNorm(ctx, `${p}.post_feedforward_layernorm.weight`, mlp, true));
    });
    return rmsNorm(ctx, 'model.norm.weight', x, true, hiddenName);
  },
  buildHead: (ctx, hidden) => lmHead(ctx, hidden, ctx.config.finalLogitSoftcapping),
  kvCache: (c) => ({ layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim }),
  describe: (c) => [
    `Gemma 2: sandwich RMSNorms x̂·(1+w), embeddings × ${embedScale(c.hiddenSize)}, GeGLU MLP (tanh GELU, intermediate ${c.intermediateSize})`,
    ...describeCommon(c),
    `attention scale ${c.queryPreAttnScalar ?? c.headDim}^-0.5 (query_pre_attn_scalar), attention-logit softcap ${c.attnLogitSoftcapping ?? 'none'}, final-logit softcap ${c.finalLogitSoftcapping ?? 'none'}`,
    c.slidingWindow === null ? 'full causal attention' : `sliding-window attention: ${c.slidingWindow} positions on even layers (0, 2, …), global on odd layers`,
  ],
};
