import { describe, expect, it } from 'vitest';
import { parseBaseModelConfig } from './base-model-config.js';
import { expectInputError } from './test-helpers.js';
import { DEMO_MODEL, PEFT_FIXTURES, readJson } from './test-helpers.js';

const F = 'base/config.json';
const fixture = () => readJson(`${PEFT_FIXTURES}/base/config.json`) as Record<string, unknown>;
const parse = (patch: Record<string, unknown>) => parseBaseModelConfig({ ...fixture(), ...patch }, F);

describe('parseBaseModelConfig', () => {
  it('reads the fixture base model', () => {
    const cfg = parseBaseModelConfig(fixture(), F);
    expect(cfg).toMatchObject({
      architecture: 'LlamaForCausalLM',
      modelType: 'llama',
      vocabSize: 128,
      hiddenSize: 64,
      intermediateSize: 128,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      headDim: 16,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeScaling: null,
      maxPositionEmbeddings: 128,
      tieWordEmbeddings: false,
      qkvBias: false,
      oProjBias: false,
      mlpBias: false,
      hiddenAct: 'silu',
      bosTokenId: 1,
      eosTokenId: null,
      padTokenId: 0,
      torchDtype: 'float32',
    });
  });

  it('reads the demo base model', () => {
    const cfg = parseBaseModelConfig(readJson(`${DEMO_MODEL}/base/config.json`), F);
    expect(cfg).toMatchObject({ vocabSize: 256, hiddenSize: 256, numHiddenLayers: 4, headDim: 64, bosTokenId: null });
  });

  it('applies defaults: kv heads, head_dim, rope_theta', () => {
    const raw = fixture();
    delete raw.num_key_value_heads;
    delete raw.head_dim;
    delete raw.rope_theta;
    const cfg = parseBaseModelConfig(raw, F);
    expect(cfg).toMatchObject({ numKeyValueHeads: 4, headDim: 16, ropeTheta: 10000 });
  });

  it('knows Qwen2 and Mistral biases and sliding windows', () => {
    const qwen = parse({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', tie_word_embeddings: true, use_sliding_window: false, sliding_window: 32 });
    expect(qwen).toMatchObject({ attentionBias: true, qkvBias: true, oProjBias: false, tieWordEmbeddings: true, slidingWindow: null });
    const mistral = parse({ architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: 4096 });
    expect(parse({ architectures: ['MistralForCausalLM'], attention_bias: true }).attentionBias).toBe(false);
    expect(mistral).toMatchObject({ qkvBias: false, oProjBias: false, slidingWindow: 4096 });
    const llamaBias = parse({ attention_bias: true, mlp_bias: true });
    expect(llamaBias).toMatchObject({ qkvBias: true, oProjBias: true, mlpBias: true });
  });

  it('uses model_type when architectures is absent', () => {
    expect(parse({ architectures: undefined, model_type: 'mistral' }).architecture).toBe('MistralForCausalLM');
  });

  it('parses linear and llama3 rope scaling and eos lists', () => {
    expect(parse({ rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({ ropeType: 'linear', factor: 2, raw: { type: 'linear', factor: 2 } });
    const l3 = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    expect(parse({ rope_scaling: l3, eos_token_id: [1, 2] })).toMatchObject({
      ropeScaling: { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
      eosTokenId: [1, 2],
    });
    expect(parse({ rope_parameters: { rope_type: 'default', rope_theta: 500000 } })).toMatchObject({ ropeTheta: 500000, ropeScaling: null });
  });

  const errors: Array<[string, Record<string, unknown>, string]> = [
    ['GPT2', { architectures: ['GPT2LMHeadModel'] }, 'unsupported architecture GPT2LMHeadModel (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, MixtralForCausalLM)'],
    [
      'no architecture',
      { architectures: undefined, model_type: 'gpt2' },
      'unsupported architecture: no "architectures" and model_type "gpt2" (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, MixtralForCausalLM)',
    ],
    ['gelu', { hidden_act: 'gelu' }, 'field "hidden_act" must be "silu" (the only activation supported for llama), got "gelu"'],
    ['dynamic rope', { rope_scaling: { type: 'dynamic', factor: 2 } }, 'field "rope_scaling" has rope type "dynamic", which is not supported (supported: linear, llama3, longrope, or null)'],
    ['linear without factor', { rope_scaling: { type: 'linear' } }, 'field "rope_scaling.factor" must be a number > 0 for rope type "linear", got nothing'],
    ['kv heads', { num_key_value_heads: 3 }, 'field "num_key_value_heads" must be a divisor of num_attention_heads (4), got 3'],
    ['hidden 0', { hidden_size: 0 }, 'field "hidden_size" must be an integer >= 1, got 0'],
    ['head_dim', { head_dim: undefined, hidden_size: 66 }, 'hidden_size 66 is not divisible by num_attention_heads 4 and "head_dim" is not set'],
    ['eps', { rms_norm_eps: 0 }, 'field "rms_norm_eps" must be a number > 0, got 0'],
    ['eos', { eos_token_id: 'x' }, 'field "eos_token_id" must be a token id, a list of token ids or null, got "x"'],
  ];
  for (const [name, patch, message] of errors) {
    it(`rejects ${name}`, () => expectInputError(() => parse(patch), `${F}: ${message}`));
  }
});
