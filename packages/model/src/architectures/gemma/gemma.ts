import type { Architecture } from '../architecture.js';
import { decoderLayers, embedTokens, lmHead } from '../building/decoder.js';
import { decoderWeights, describeCommon, linearWeights, loraModuleTable, normWeight } from '../building/module-table.js';
import { rmsNorm } from '../building/norms.js';
import { ATTENTION_PROJECTIONS, attentionLinears, gatedMlp, MLP_PROJECTIONS, mlpLinears, standardAttention } from '../llama/llama.js';

/** transformers' Gemma normalizer: the embeddings times √hidden, rounded to f32 */
export const embedScale = (hidden: number) => Math.fround(Math.sqrt(hidden));

/**
 * Gemma (GemmaForCausalLM): Llama's blocks with RMSNorm x̂·(1 + w), embeddings × √hidden, a GeGLU MLP with the
 * tanh GELU (`hidden_activation`), a head_dim of its own and (by default) the head tied to the embedding.
 */
export const GEMMA: Architecture = {
  name: 'GemmaForCausalLM',
  defaultLoraTargets: ['q_proj', 'v_proj'],
  allLinearNames: [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS],
  loraModules: (c) => loraModuleTable(c, [...attentionLinears(c), ...mlpLinears(c)]),
  expectedWeights: (c) => decoderWeights(c, function* (p) {
    yield normWeight(p, 'input_layernorm', c);
    for (const m of attentionLinears(c)) yield* linearWeights(p, m);
    yield normWeight(p, 'post_attention_layernorm', c);
    for (const m of mlpLinears(c)) yield* linearWeights(p, m);
  }),
  buildPass(ctx, hiddenName) {
    const { g, config: c } = ctx;
    const x = decoderLayers(ctx, embedTokens(ctx, embedScale(c.hiddenSize)), (x, i, p) => {
      const afterAttn = g.addT(x, standardAttention(ctx, rmsNorm(ctx, `${p}.input_layernorm.weight`, x, true), i, p, { slidingWindow: null }));
      return g.addT(afterAttn, gatedMlp(ctx, rmsNorm(ctx, `${p}.post_attention_layernorm.weight`, afterAttn, true), p));
    });
    return rmsNorm(ctx, 'model.norm.weight', x, true, hiddenName);
  },
  buildHead: (ctx, hidden) => lmHead(ctx, hidden),
  kvCache: (c) => ({ layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim }),
  describe: (c) => [
    `Gemma: RMSNorm x̂·(1+w), embeddings × √${c.hiddenSize} = ${embedScale(c.hiddenSize)}, GeGLU MLP (tanh GELU, intermediate ${c.intermediateSize})`,
    ...describeCommon(c),
    'full causal attention',
  ],
};
