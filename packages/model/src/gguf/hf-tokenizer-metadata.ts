import { InputError } from '@xlora/core';
import { chatTemplatesOfConfig } from '../loading/chat-template-source.js';
import type { GgufKv } from './gguf-types.js';
import { bpePreName, SPM_SPACE, TOKEN_TYPE } from './tokenizer-kinds.js';

type Json = Record<string, unknown>;

/**
 * The `tokenizer.ggml.*` metadata (and tokenizer.chat_template) for a transformers tokenizer.json +
 * tokenizer_config.json: a SentencePiece-style BPE (byte_fallback, "▁" spaces) becomes model "llama" with scores
 * (minus the rank of the merge that makes each piece, so llama.cpp's highest-score-first merging follows the merge
 * order), a byte-level BPE becomes model "gpt2" with its merges and the tokenizer.ggml.pre of its pre-tokenizer.
 */
export function tokenizerMetadata(json: unknown, cfg: Json, file: string, vocabSize?: number): [string, GgufKv][] {
  if (!isObject(json) || !isObject(json.model)) throw new InputError(`${file}: expected a tokenizer.json object with a "model"`);
  const model = json.model;
  if (model.type !== 'BPE') throw new InputError(`${file}: model type ${JSON.stringify(model.type)} cannot be written to GGUF (supported: BPE, SentencePiece-style or byte-level)`);
  const tokens = denseTokens(json, file);
  const real = tokens.length;
  if (vocabSize !== undefined && real > vocabSize) throw new InputError(`${file}: ${real} tokens, more than the model's vocab_size ${vocabSize}`);
  // an embedding padded past the vocabulary: llama.cpp's converter lists the extra rows as unused [PAD<id>] tokens
  for (let id = real; id < (vocabSize ?? real); id++) tokens.push(`[PAD${id}]`);
  const added = new Map<number, Json>((Array.isArray(json.added_tokens) ? json.added_tokens : []).filter(isObject).map((t) => [t.id as number, t]));
  const merges = mergeStrings(model.merges, file);
  const spm = model.byte_fallback === true;
  const idOf = new Map(tokens.slice(0, real).map((t, i) => [t, i]));
  const tokenId = (key: string): number | undefined => {
    const v = cfg[key];
    const content = typeof v === 'string' ? v : isObject(v) && typeof v.content === 'string' ? v.content : undefined;
    return content === undefined ? undefined : idOf.get(content);
  };
  const unk = typeof model.unk_token === 'string' ? idOf.get(model.unk_token) : undefined;
  const types = tokens.map((t, id) => {
    if (id >= real) return TOKEN_TYPE.unused;
    const a = added.get(id);
    if (id === unk) return TOKEN_TYPE.unknown;
    if (a) return a.special === true ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
    if (spm && /^<0x[0-9A-F]{2}>$/.test(t)) return TOKEN_TYPE.byte;
    return TOKEN_TYPE.normal;
  });
  const out: [string, GgufKv][] = [
    ['tokenizer.ggml.model', { type: 'string', value: spm ? 'llama' : 'gpt2' }],
  ];
  if (!spm) {
    const pre = bpePreName(json.pre_tokenizer);
    if (pre === null) throw new InputError(`${file}: this BPE pre_tokenizer has no llama.cpp equivalent (known: ByteLevel GPT-2, Llama 3, Qwen2)`);
    out.push(['tokenizer.ggml.pre', { type: 'string', value: pre }]);
  } else if (!isSpmSpacing(json)) {
    throw new InputError(`${file}: a byte_fallback BPE without the SentencePiece "${SPM_SPACE}" spacing (normalizer Replace " " -> "${SPM_SPACE}") cannot be written to GGUF`);
  }
  out.push(['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }]);
  if (spm) out.push(['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: spmScores(tokens, merges, types) }]);
  out.push(['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: Int32Array.from(types) }]);
  if (!spm) out.push(['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: merges }]);
  const ids: [string, number | undefined][] = [['bos', tokenId('bos_token')], ['eos', tokenId('eos_token')], ['unknown', tokenId('unk_token') ?? unk], ['padding', tokenId('pad_token')]];
  for (const [key, id] of ids) if (id !== undefined) out.push([`tokenizer.ggml.${key}_token_id`, { type: 'u32', value: id }]);
  const bos = tokenId('bos_token');
  const addBos = typeof cfg.add_bos_token === 'boolean' ? cfg.add_bos_token : bos !== undefined && startsWithSpecial(json.post_processor, tokens[bos]);
  out.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: addBos }]);
  out.push(['tokenizer.ggml.add_eos_token', { type: 'bool', value: cfg.add_eos_token === true }]);
  if (spm) out.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: prependsSpace(json) }]);
  const templates = chatTemplatesOfConfig(cfg.chat_template, `${file}: chat_template`);
  for (const [name, { template }] of Object.entries(templates ?? {})) {
    out.push([name === 'default' ? 'tokenizer.chat_template' : `tokenizer.chat_template.${name}`, { type: 'string', value: template }]);
  }
  return out;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every token by id (model vocab plus added tokens), which must number 0..n-1 without gaps. */
function denseTokens(json: Json, file: string): string[] {
  const byId = new Map<number, string>();
  for (const [t, id] of Object.entries((json.model as Json).vocab as Json)) byId.set(id as number, t);
  for (const a of Array.isArray(json.added_tokens) ? json.added_tokens : []) if (isObject(a)) byId.set(a.id as number, a.content as string);
  const tokens: string[] = [];
  for (let id = 0; id < byId.size; id++) {
    const t = byId.get(id);
    if (t === undefined) throw new InputError(`${file}: token ids are not 0..${byId.size - 1} without gaps (no token has id ${id}); GGUF lists tokens by id`);
    tokens.push(t);
  }
  return tokens;
}

/** Merges as "left right" strings (tokenizer.json has them so, or as [left, right] pairs). */
function mergeStrings(merges: unknown, file: string): string[] {
  if (merges === undefined || merges === null) return [];
  if (!Array.isArray(merges)) throw new InputError(`${file}: model.merges must be a list`);
  return merges.map((m) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string')) return `${m[0]} ${m[1]}`;
    throw new InputError(`${file}: model.merges entry ${JSON.stringify(m)} is neither "a b" nor ["a", "b"]`);
  });
}

/**
 * SentencePiece scores: a piece made by merge r scores −(r+1), so earlier merges win; pieces no merge makes
 * (single characters, bytes, specials) score below every merge, by id. llama.cpp compares only merged pieces' scores.
 */
function spmScores(tokens: readonly string[], merges: readonly string[], types: readonly number[]): Float32Array {
  const scores = new Float32Array(tokens.length).fill(Number.NaN);
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  merges.forEach((m, rank) => {
    const sp = m.indexOf(' ');
    const id = idOf.get(m.slice(0, sp) + m.slice(sp + 1));
    if (id !== undefined && Number.isNaN(scores[id])) scores[id] = -(rank + 1);
  });
  for (let id = 0; id < tokens.length; id++) if (Number.isNaN(scores[id])) scores[id] = types[id] === TOKEN_TYPE.normal ? -(merges.length + 1 + id) : 0;
  return scores;
}

function isSpmSpacing(json: Json): boolean {
  const text = JSON.stringify([json.normalizer, json.pre_tokenizer]);
  return text.includes(SPM_SPACE);
}

/** The tokenizer prepends "▁" to the text (normalizer Prepend, or Metaspace with a prepend scheme). */
function prependsSpace(json: Json): boolean {
  const n = JSON.stringify(json.normalizer ?? null);
  if (n.includes('"Prepend"')) return true;
  const p = json.pre_tokenizer;
  return isObject(p) && p.type === 'Metaspace' && p.prepend_scheme !== 'never' && p.add_prefix_space !== false;
}

function startsWithSpecial(post: unknown, token: string): boolean {
  if (!isObject(post) || post.type !== 'TemplateProcessing' || !Array.isArray(post.single)) return false;
  const first = post.single[0];
  return isObject(first) && isObject(first.SpecialToken) && first.SpecialToken.id === token;
}
