import { parseBaseModelConfig, type LlamaConfig } from '@xlora/config';
import { GgufError } from './gguf-error.js';
import type { GgufFile } from './gguf-file.js';
import { GgufMetadata } from './gguf-metadata.js';

/** general.architecture values we load, and the transformers class each one is. */
export const GGUF_ARCHITECTURES: Readonly<Record<string, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

/** Architectures whose q/k rows llama.cpp's converter permutes (Qwen2's are stored as in transformers). */
export const PERMUTED_QK_ARCHITECTURES = new Set(['llama', 'mistral']);

/** The shortest decimal that is the same f32 (GGUF stores 1e-5 as 9.99999974e-6; config.json has 1e-5). */
export function f32Decimal(x: number): number {
  for (let digits = 1; digits <= 17; digits++) {
    const d = Number(x.toPrecision(digits));
    if (Math.fround(d) === Math.fround(x)) return d;
  }
  return x;
}

/**
 * The transformers config.json a GGUF file's metadata stands for ({arch}.context_length, embedding_length,
 * block_count, feed_forward_length, attention.head_count[_kv], attention.layer_norm_rms_epsilon,
 * attention.key_length, rope.freq_base, rope.scaling.*; vocab size from {arch}.vocab_size, the token list or
 * token_embd), so that it is validated by the same parser as a real config.json.
 */
export function ggufConfigJson(gguf: GgufFile): Record<string, unknown> {
  const md = new GgufMetadata(gguf.metadata, gguf.file);
  const arch = md.string('general.architecture');
  const architecture = GGUF_ARCHITECTURES[arch];
  if (architecture === undefined) {
    throw new GgufError('bad-value', `${gguf.file}: general.architecture ${JSON.stringify(arch)} is not supported (supported: ${Object.keys(GGUF_ARCHITECTURES).join(', ')})`);
  }
  const k = (key: string) => `${arch}.${key}`;
  const hidden = md.int(k('embedding_length'), 1);
  const heads = md.int(k('attention.head_count'), 1);
  const headDim = md.optInt(k('attention.key_length'), 1);
  const valueDim = md.optInt(k('attention.value_length'), 1);
  if (headDim !== undefined && valueDim !== undefined && valueDim !== headDim) {
    throw new GgufError('bad-value', `${gguf.file}: ${k('attention.value_length')} ${valueDim} differs from ${k('attention.key_length')} ${headDim}, which is not supported`);
  }
  const ropeDims = md.optInt(k('rope.dimension_count'), 1);
  const dim = headDim ?? hidden / heads;
  if (ropeDims !== undefined && ropeDims !== dim) {
    throw new GgufError('bad-value', `${gguf.file}: ${k('rope.dimension_count')} ${ropeDims} is not the head size ${dim} (partial rotary embeddings are not supported)`);
  }
  if (gguf.tensor('rope_freqs.weight')) {
    throw new GgufError('bad-value', `${gguf.file}: tensor "rope_freqs.weight" (llama.cpp's Llama 3 rope scaling factors) is not supported yet: load the transformers checkpoint instead`);
  }
  const tokens = md.optStrings('tokenizer.ggml.tokens');
  const embd = gguf.tensor('token_embd.weight');
  const vocab = md.optInt(k('vocab_size'), 1) ?? tokens?.length ?? embd?.shape[0];
  const eps = md.optNumber(k('attention.layer_norm_rms_epsilon'));
  const theta = md.optNumber(k('rope.freq_base'));
  const config: Record<string, unknown> = {
    architectures: [architecture],
    model_type: arch,
    hidden_act: 'silu',
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: md.int(k('feed_forward_length'), 1),
    num_hidden_layers: md.int(k('block_count'), 1),
    num_attention_heads: heads,
    num_key_value_heads: md.optInt(k('attention.head_count_kv'), 1) ?? heads,
    max_position_embeddings: md.int(k('context_length'), 1),
    rms_norm_eps: eps === undefined ? undefined : f32Decimal(eps),
    rope_theta: theta === undefined ? undefined : f32Decimal(theta),
    rope_scaling: ropeScaling(md, arch),
    tie_word_embeddings: !gguf.tensor('output.weight'),
    attention_bias: arch === 'llama' && gguf.tensor('blk.0.attn_q.bias') !== undefined,
    bos_token_id: md.optInt('tokenizer.ggml.bos_token_id') ?? null,
    eos_token_id: md.optInt('tokenizer.ggml.eos_token_id') ?? null,
    pad_token_id: md.optInt('tokenizer.ggml.padding_token_id') ?? null,
  };
  if (headDim !== undefined) config.head_dim = headDim;
  if (arch === 'mistral') config.sliding_window = null;
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}

/** {arch}.rope.scaling.type / factor / original_context_length as a transformers rope_scaling (or null). */
function ropeScaling(md: GgufMetadata, arch: string): Record<string, unknown> | null {
  const type = md.optString(`${arch}.rope.scaling.type`);
  if (type === undefined || type === 'none') return null;
  const factor = md.optNumber(`${arch}.rope.scaling.factor`);
  const original = md.optInt(`${arch}.rope.scaling.original_context_length`, 1);
  // the shared parser accepts linear (and llama3, which llama.cpp stores as a rope_freqs tensor); others it names
  return { rope_type: type, ...(factor === undefined ? {} : { factor: f32Decimal(factor) }), ...(original === undefined ? {} : { original_max_position_embeddings: original }) };
}

/** The model's LlamaConfig from GGUF metadata, validated by @xlora/config's parseBaseModelConfig. */
export function ggufLlamaConfig(gguf: GgufFile): LlamaConfig {
  return parseBaseModelConfig(ggufConfigJson(gguf), `${gguf.file} (GGUF metadata)`);
}
