/**
 * The pre-tokenizers of GPT-2-style (byte-level BPE) vocabularies, by llama.cpp's `tokenizer.ggml.pre` name, as
 * transformers' tokenizer.json writes them. A Split with the regex, then ByteLevel without its own regex; GPT-2
 * itself is ByteLevel with its built-in regex.
 */
export const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const splitThenBytes = (pattern: string) => ({
  type: 'Sequence',
  pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, byteLevel(false)],
});

/** tokenizer.ggml.pre -> the pre_tokenizer of tokenizer.json (and normalizer, when the vocabulary has one). */
export const BPE_PRE_TOKENIZERS: Readonly<Record<string, { preTokenizer: unknown; normalizer: unknown; ignoreMerges: boolean }>> = {
  'gpt-2': { preTokenizer: byteLevel(true), normalizer: null, ignoreMerges: false },
  'llama-bpe': { preTokenizer: splitThenBytes(LLAMA3_PATTERN), normalizer: null, ignoreMerges: true },
  qwen2: { preTokenizer: splitThenBytes(QWEN2_PATTERN), normalizer: { type: 'NFC' }, ignoreMerges: false },
};

/** The tokenizer.ggml.pre name of a tokenizer.json pre_tokenizer, or null when it is none of BPE_PRE_TOKENIZERS. */
export function bpePreName(preTokenizer: unknown): string | null {
  const p = preTokenizer as { type?: string; use_regex?: boolean; pretokenizers?: unknown[] } | null;
  if (p?.type === 'ByteLevel' && p.use_regex !== false) return 'gpt-2';
  if (p?.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.length === 2) {
    const [split, bytes] = p.pretokenizers as { type?: string; pattern?: { Regex?: string }; use_regex?: boolean }[];
    if (split.type === 'Split' && bytes.type === 'ByteLevel' && bytes.use_regex === false) {
      if (split.pattern?.Regex === LLAMA3_PATTERN) return 'llama-bpe';
      if (split.pattern?.Regex === QWEN2_PATTERN) return 'qwen2';
    }
  }
  return null;
}

/** llama.cpp's token types (llama_token_type). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** SentencePiece's word-boundary marker. */
export const SPM_SPACE = '\u2581';
