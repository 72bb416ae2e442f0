import type { ModelPreset } from './presets.js';

/** Sequence length the generated models declare (max_position_embeddings / llama.context_length). */
export const BENCH_CONTEXT_LENGTH = 2048;
export const BENCH_RMS_NORM_EPS = 1e-5;
export const BENCH_ROPE_THETA = 10000;

/** transformers' config.json of a preset (LlamaForCausalLM, untied head, no biases). */
export function llamaConfigJson(p: ModelPreset, torchDtype: 'float32' | 'bfloat16'): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: p.vocab, hidden_size: p.hidden,
    intermediate_size: p.intermediate, num_hidden_layers: p.layers, num_attention_heads: p.heads,
    num_key_value_heads: p.kvHeads, head_dim: p.hidden / p.heads, hidden_act: 'silu', max_position_embeddings: BENCH_CONTEXT_LENGTH,
    rms_norm_eps: BENCH_RMS_NORM_EPS, rope_theta: BENCH_ROPE_THETA, rope_scaling: null, tie_word_embeddings: false, attention_bias: false,
    mlp_bias: false, bos_token_id: null, eos_token_id: null, torch_dtype: torchDtype, use_cache: false,
  };
}
