import { describe, expect, it } from 'vitest';
import { parseBaseModelConfig } from './base-model-config.js';
import { expectInputError, readJson, REPO_ROOT } from './test-helpers.js';

const F = 'base/config.json';
const fixture = (set: string) => readJson(`${REPO_ROOT}test-data/peft-xlora-${set}/base/config.json`) as Record<string, unknown>;
const parse = (set: string, patch: Record<string, unknown> = {}) => parseBaseModelConfig({ ...fixture(set), ...patch }, F);

describe('parseBaseModelConfig: architectures beyond Llama', () => {
  it('Gemma: hidden_activation (not hidden_act), separate head_dim, tied head by default', () => {
    const raw = fixture('gemma');
    delete raw.tie_word_embeddings;
    expect(parseBaseModelConfig(raw, F)).toMatchObject({
      architecture: 'GemmaForCausalLM', hiddenAct: 'gelu_pytorch_tanh', headDim: 32, numKeyValueHeads: 1, tieWordEmbeddings: true,
      rmsNormEps: 1e-6, slidingWindow: null, attnLogitSoftcapping: null, numLocalExperts: null,
    });
    expectInputError(() => parse('gemma', { hidden_activation: 'gelu' }),
      `${F}: field "hidden_activation" must be "gelu_pytorch_tanh" (the only activation supported for gemma), got "gelu"`);
  });

  it('Gemma 2: softcaps, query_pre_attn_scalar, sliding window', () => {
    expect(parse('gemma2')).toMatchObject({
      architecture: 'Gemma2ForCausalLM', headDim: 24, attnLogitSoftcapping: 1, finalLogitSoftcapping: 0.5, queryPreAttnScalar: 32,
      slidingWindow: 4, tieWordEmbeddings: true,
    });
    expect(parse('gemma2', { attn_logit_softcapping: null, final_logit_softcapping: null })).toMatchObject({ attnLogitSoftcapping: null, finalLogitSoftcapping: null });
    expectInputError(() => parse('gemma2', { final_logit_softcapping: 0 }), `${F}: field "final_logit_softcapping" must be a number > 0 or null, got 0`);
  });

  it('Phi-3: original context, longrope with one factor per rotated pair; partial rotary refused', () => {
    expect(parse('phi3')).toMatchObject({ architecture: 'Phi3ForCausalLM', originalMaxPositionEmbeddings: 128, ropeScaling: null, slidingWindow: null });
    const factors = (n: number, v: number) => new Array(n).fill(v);
    const longrope = { type: 'longrope', short_factor: factors(8, 1.5), long_factor: factors(8, 3) };
    expect(parse('phi3', { rope_scaling: longrope, max_position_embeddings: 512 }).ropeScaling).toMatchObject({
      ropeType: 'longrope', shortFactor: factors(8, 1.5), longFactor: factors(8, 3),
    });
    expectInputError(() => parse('phi3', { rope_scaling: { ...longrope, short_factor: factors(7, 1) } }),
      `${F}: field "rope_scaling.short_factor" has 7 entries; head_dim 16 needs 8`);
    expectInputError(() => parse('phi3', { partial_rotary_factor: 0.5 }),
      `${F}: field "partial_rotary_factor" must be 1.0 (partial rotary embeddings are not supported; transformers 4.47 Phi-3 rotates the whole head), got 0.5`);
    expectInputError(() => parse('phi3', { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 } }),
      `${F}: field "rope_scaling" has rope type "llama3", which phi3 does not use (supported: longrope, or null)`);
  });

  it('Mixtral: experts and routing', () => {
    expect(parse('mixtral')).toMatchObject({ architecture: 'MixtralForCausalLM', numLocalExperts: 4, numExpertsPerTok: 2, intermediateSize: 96, ropeTheta: 1e6 });
    expectInputError(() => parse('mixtral', { num_experts_per_tok: 5 }), `${F}: field "num_experts_per_tok" must be at most num_local_experts (4), got 5`);
  });

  it('Llama 3 rope and a tied head', () => {
    expect(parse('llama3rope')).toMatchObject({
      architecture: 'LlamaForCausalLM', headDim: 32, tieWordEmbeddings: true,
      ropeScaling: { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 },
    });
  });

  it('names the supported architectures for Gemma 3', () => {
    expectInputError(() => parse('gemma', { architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text' }),
      `${F}: unsupported architecture Gemma3ForCausalLM (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, MixtralForCausalLM)`);
  });
});
