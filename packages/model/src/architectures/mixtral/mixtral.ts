import type { BaseModelConfig } from '@xlora/config';
import type { Architecture, ExpectedWeight } from '../architecture.js';
import { decoderLayers, embedTokens, lmHead } from '../building/decoder.js';
import { decoderWeights, describeCommon, linearWeights, loraModuleTable, normWeight } from '../building/module-table.js';
import { rmsNorm } from '../building/norms.js';
import { ATTENTION_PROJECTIONS, attentionLinears, standardAttention } from '../llama/llama.js';

const experts = (c: BaseModelConfig) => c.numLocalExperts ?? 0;

function* moeWeights(c: BaseModelConfig, p: string): Generator<ExpectedWeight> {
  const h = c.hiddenSize, i = c.intermediateSize;
  yield { name: `${p}.block_sparse_moe.gate.weight`, shape: [experts(c), h] };
  for (let e = 0; e < experts(c); e++) {
    const x = `${p}.block_sparse_moe.experts.${e}`;
    yield { name: `${x}.w1.weight`, shape: [i, h] };
    yield { name: `${x}.w2.weight`, shape: [h, i] };
    yield { name: `${x}.w3.weight`, shape: [i, h] };
  }
}

/**
 * Mixtral (MixtralForCausalLM): Llama's attention and a sparse MoE MLP per block — a router (block_sparse_moe.gate),
 * softmax, the top num_experts_per_tok experts renormalised, each expert w2(silu(w1 x) · w3 x). LoRA experts may
 * wrap the attention (and embedding/head); PEFT's X-LoRA cannot run LoRA on the router or the MoE experts, so
 * adapters that target them are refused.
 */
export const MIXTRAL: Architecture = {
  name: 'MixtralForCausalLM',
  defaultLoraTargets: ['q_proj', 'v_proj'],
  allLinearNames: [...ATTENTION_PROJECTIONS],
  loraModules: (c) => loraModuleTable(c, attentionLinears(c)),
  refusedLoraModule: (path) => /\.block_sparse_moe\./.test(path)
    ? `LoRA on Mixtral's router or MoE experts ("${path}"): PEFT's X-LoRA cannot run it (its layers multiply the routed (tokens, hidden) rows by (batch, seq) scalings and fail), so there is no reference semantics; target the attention projections`
    : null,
  expectedWeights: (c) => decoderWeights(c, function* (p) {
    yield normWeight(p, 'input_layernorm', c);
    for (const m of attentionLinears(c)) yield* linearWeights(p, m);
    yield* moeWeights(c, p);
    yield normWeight(p, 'post_attention_layernorm', c);
  }),
  buildPass(ctx, hiddenName) {
    const { g, config: c } = ctx;
    const h = c.hiddenSize, i = c.intermediateSize;
    const x = decoderLayers(ctx, embedTokens(ctx), (x, layer, p) => {
      const afterAttn = g.addT(x, standardAttention(ctx, rmsNorm(ctx, `${p}.input_layernorm.weight`, x), layer, p));
      const normed = rmsNorm(ctx, `${p}.post_attention_layernorm.weight`, afterAttn); // [B,S,H]
      const router = g.matmul(normed, g.weight(`${p}.block_sparse_moe.gate.weight`, [experts(c), h])); // [B,S,E]
      const ws = Array.from({ length: experts(c) }, (_, e) => {
        const x = `${p}.block_sparse_moe.experts.${e}`;
        return { gate: g.weight(`${x}.w1.weight`, [i, h]), up: g.weight(`${x}.w3.weight`, [i, h]), down: g.weight(`${x}.w2.weight`, [h, i]) };
      });
      return g.addT(afterAttn, g.moeMlp(normed, router, ws, { numExperts: experts(c), topK: c.numExpertsPerTok ?? 2 }));
    });
    return rmsNorm(ctx, 'model.norm.weight', x, false, hiddenName);
  },
  buildHead: (ctx, hidden) => lmHead(ctx, hidden),
  kvCache: (c) => ({ layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim }),
  describe: (c) => [
    `Mixtral: sparse MoE MLP, ${experts(c)} experts of intermediate ${c.intermediateSize}, top-${c.numExpertsPerTok} routing renormalised; LoRA on attention only`,
    ...describeCommon(c),
    c.slidingWindow === null ? 'full causal attention' : `sliding-window attention: ${c.slidingWindow} positions on every layer`,
  ],
};
