import { GgufError } from './gguf-error.js';
import type { GgufMetadata } from './gguf-metadata.js';
import { BPE_PRE_TOKENIZERS, SPM_SPACE, TOKEN_TYPE } from './tokenizer-kinds.js';

/** A tokenizer.json and tokenizer_config.json, as transformers would write them for a vocabulary. */
export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/**
 * The HF tokenizer files equivalent to a GGUF file's `tokenizer.ggml.*` metadata: model "llama" (SentencePiece
 * BPE: tokens, scores, token types; merges rebuilt from the scores as transformers' LlamaConverter does; byte
 * fallback, "▁" for spaces) or "gpt2" (byte-level BPE: tokens, merges, the pre-tokenizer named by
 * tokenizer.ggml.pre). Special ids, add_bos/add_eos and the chat templates go to tokenizer_config.json.
 * Null when the file has no tokenizer.ggml.model.
 */
export function ggufTokenizerFiles(md: GgufMetadata): TokenizerFiles | null {
  const model = md.optString('tokenizer.ggml.model');
  if (model === undefined) return null;
  if (model !== 'llama' && model !== 'gpt2') {
    throw new GgufError('bad-value', `${md.file}: tokenizer.ggml.model ${JSON.stringify(model)} is not supported (supported: llama, gpt2); put a tokenizer.json beside the file`);
  }
  const tokens = md.optStrings('tokenizer.ggml.tokens');
  if (tokens === undefined || tokens.length === 0) throw new GgufError('bad-value', `${md.file}: metadata "tokenizer.ggml.tokens" is missing or empty`);
  const types = sameLength(md, 'tokenizer.ggml.token_type', tokens.length);
  const typeOf = (id: number) => (types ? types[id] : TOKEN_TYPE.normal);
  const special = (key: string) => {
    const id = md.optInt(`tokenizer.ggml.${key}_token_id`);
    if (id !== undefined && id >= tokens.length) {
      throw new GgufError('bad-value', `${md.file}: metadata "tokenizer.ggml.${key}_token_id" is ${id}, past the ${tokens.length} tokens`);
    }
    return id;
  };
  const ids = { bos: special('bos'), eos: special('eos'), pad: special('padding'), unk: special('unknown') };
  const addBos = md.optBool('tokenizer.ggml.add_bos_token') ?? model === 'llama';
  const addEos = md.optBool('tokenizer.ggml.add_eos_token') ?? false;

  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => {
    if (!Object.hasOwn(vocab, t)) vocab[t] = id;
  });
  const specialIds = new Set(Object.values(ids).filter((v): v is number => v !== undefined));
  const added = tokens.flatMap((content, id) => {
    const type = typeOf(id);
    const isSpecial = type === TOKEN_TYPE.control || type === TOKEN_TYPE.unknown || specialIds.has(id);
    if (!isSpecial && type !== TOKEN_TYPE.userDefined) return [];
    return [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !isSpecial, special: isSpecial }];
  });

  let json: Record<string, unknown>;
  if (model === 'llama') {
    const scores = sameLength(md, 'tokenizer.ggml.scores', tokens.length);
    if (!scores) throw new GgufError('bad-value', `${md.file}: a "llama" (SentencePiece) vocabulary needs metadata "tokenizer.ggml.scores"`);
    const spacePrefix = md.optBool('tokenizer.ggml.add_space_prefix') ?? true;
    const replaceSpace = { type: 'Replace', pattern: { String: ' ' }, content: SPM_SPACE };
    json = {
      normalizer: spacePrefix ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPM_SPACE }, replaceSpace] } : replaceSpace,
      pre_tokenizer: null,
      model: {
        type: 'BPE', dropout: null, unk_token: ids.unk === undefined ? null : tokens[ids.unk], continuing_subword_prefix: null,
        end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false,
        vocab, merges: spmMerges(tokens, scores, (id) => typeOf(id) === TOKEN_TYPE.normal),
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: SPM_SPACE }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
          ...(spacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
        ],
      },
    };
  } else {
    const preName = md.optString('tokenizer.ggml.pre') ?? 'gpt-2';
    const pre = BPE_PRE_TOKENIZERS[preName === 'default' || preName === 'gpt2' ? 'gpt-2' : preName];
    if (pre === undefined) {
      throw new GgufError('bad-value', `${md.file}: tokenizer.ggml.pre ${JSON.stringify(preName)} is not supported (supported: ${Object.keys(BPE_PRE_TOKENIZERS).join(', ')}, default); put a tokenizer.json beside the file`);
    }
    json = {
      normalizer: pre.normalizer,
      pre_tokenizer: pre.preTokenizer,
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false,
        byte_fallback: false, ignore_merges: pre.ignoreMerges, vocab, merges: [...(md.optStrings('tokenizer.ggml.merges') ?? [])],
      },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    };
  }
  const name = (id: number | undefined) => (id === undefined ? undefined : tokens[id]);
  const tokenizerJson = {
    version: '1.0', truncation: null, padding: null, added_tokens: added, ...json,
    post_processor: templateProcessing(addBos ? name(ids.bos) : undefined, addEos ? name(ids.eos) : undefined, vocab),
  };
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: addBos, add_eos_token: addEos,
    ...Object.fromEntries(Object.entries({ bos_token: name(ids.bos), eos_token: name(ids.eos), pad_token: name(ids.pad), unk_token: name(ids.unk) }).filter(([, v]) => v !== undefined)),
  };
  const templates = chatTemplates(md);
  if (templates !== undefined) tokenizerConfig.chat_template = templates;
  return { tokenizerJson, tokenizerConfig };
}

function sameLength(md: GgufMetadata, key: string, n: number): ArrayLike<number> | undefined {
  const v = md.optNumbers(key);
  if (v !== undefined && v.length !== n) throw new GgufError('bad-value', `${md.file}: metadata ${JSON.stringify(key)} has ${v.length} entries for ${n} tokens`);
  return v;
}

/** Prepends BOS / appends EOS as transformers' TemplateProcessing does; null when neither is added. */
function templateProcessing(bos: string | undefined, eos: string | undefined, vocab: Record<string, number>): unknown {
  if (bos === undefined && eos === undefined) return null;
  const tok = (t: string | undefined) => (t === undefined ? [] : [{ SpecialToken: { id: t, type_id: 0 } }]);
  const seq = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const specials = [bos, eos].filter((t): t is string => t !== undefined);
  return {
    type: 'TemplateProcessing',
    single: [...tok(bos), seq('A', 0), ...tok(eos)],
    pair: [...tok(bos), seq('A', 0), ...tok(eos), ...tok(bos), seq('B', 1), ...tok(eos)],
    special_tokens: Object.fromEntries(specials.map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
  };
}

/**
 * Merges of a SentencePiece vocabulary from its scores, as transformers' `generate_merges` makes them: every split
 * of a piece into two pieces of the vocabulary, ordered by the piece's score (highest first), then by the left and
 * right part's length (longest first), then (a stable sort) by the piece's id and the ids of its parts. `usable` says which ids take part (normal
 * pieces: not control, byte or unknown tokens).
 */
export function spmMerges(tokens: readonly string[], scores: ArrayLike<number>, usable: (id: number) => boolean): string[] {
  const idOf = new Map<string, number>();
  tokens.forEach((t, id) => {
    if (usable(id) && !idOf.has(t)) idOf.set(t, id);
  });
  const merges: { left: string; right: string; score: number; leftLen: number; rightLen: number; pieceId: number; leftId: number; rightId: number }[] = [];
  for (const [piece, id] of idOf) {
    const chars = [...piece];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      const leftId = idOf.get(left);
      const rightId = idOf.get(right);
      if (leftId !== undefined && rightId !== undefined) merges.push({ left, right, score: scores[id], leftLen: i, rightLen: chars.length - i, pieceId: id, leftId, rightId });
    }
  }
  merges.sort((a, b) => b.score - a.score || b.leftLen - a.leftLen || b.rightLen - a.rightLen || a.pieceId - b.pieceId || a.leftId - b.leftId || a.rightId - b.rightId);
  return merges.map((m) => `${m.left} ${m.right}`);
}

/** tokenizer.chat_template (the default) and tokenizer.chat_template.<name>, in tokenizer_config.json's list form. */
function chatTemplates(md: GgufMetadata): string | { name: string; template: string }[] | undefined {
  const named = [...md.entries.keys()].filter((k) => k.startsWith('tokenizer.chat_template.')).sort();
  const main = md.optString('tokenizer.chat_template');
  if (named.length === 0) return main;
  return [
    ...(main === undefined ? [] : [{ name: 'default', template: main }]),
    ...named.map((k) => ({ name: k.slice('tokenizer.chat_template.'.length), template: md.string(k) })),
  ];
}
