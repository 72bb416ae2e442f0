import type { GgufKv } from '@xlora/model';
import { BENCH_CONTEXT_LENGTH, BENCH_RMS_NORM_EPS, BENCH_ROPE_THETA } from './llama-config-json.js';
import type { ModelPreset } from './presets.js';

/** llama.cpp's token types (llama_token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

/**
 * A SentencePiece ("llama") vocabulary of `size` tokens as llama.cpp expects it: <unk>, <s>, </s>, the 256 byte
 * tokens <0x00>..<0xFF>, then distinct made-up pieces. Ids, not text, drive the benchmark; llama.cpp only needs
 * a vocabulary it can load.
 */
function spmVocabulary(size: number): [string, GgufKv][] {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let b = 0; b < 256 && tokens.length < size; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.byte);
  }
  while (tokens.length < size) {
    tokens.push(`\u2581t${tokens.length}`);
    types.push(TOKEN_TYPE.normal);
  }
  const scores = new Float32Array(size).map((_, i) => -i);
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: Int32Array.from(types) }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
}

/** GGUF metadata of a preset as llama.cpp's converter writes a Llama model (general.*, llama.*, tokenizer.ggml.*). */
export function llamaGgufMetadata(p: ModelPreset, fileType: number): [string, GgufKv][] {
  const headDim = p.hidden / p.heads;
  return [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `xlora-bench-${p.name}` }],
    ['general.file_type', { type: 'u32', value: fileType }],
    ['llama.context_length', { type: 'u32', value: BENCH_CONTEXT_LENGTH }],
    ['llama.embedding_length', { type: 'u32', value: p.hidden }],
    ['llama.block_count', { type: 'u32', value: p.layers }],
    ['llama.feed_forward_length', { type: 'u32', value: p.intermediate }],
    ['llama.attention.head_count', { type: 'u32', value: p.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: p.kvHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: BENCH_RMS_NORM_EPS }],
    ['llama.rope.freq_base', { type: 'f32', value: BENCH_ROPE_THETA }],
    ['llama.rope.dimension_count', { type: 'u32', value: headDim }],
    ['llama.vocab_size', { type: 'u32', value: p.vocab }],
    ...spmVocabulary(p.vocab),
  ];
}

/** llama_ftype of a file whose matrices are all in one format ("mostly X"; q4_k: MOSTLY_Q4_K_S). */
export const LLAMA_FILE_TYPE: Readonly<Record<string, number>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, q4_k: 14, bf16: 32 };
