// Test-only (not exported from index.ts, not built: tsconfig.build.json excludes test-helpers.ts): a word-level tokenizer.json built by hand, with a chat template.
import { loadTokenizer, type HfTextTokenizer } from '../load-tokenizer.js';
import { mapFileSource } from '../map-file-source.js';

export const enc = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));

/** whitespace pre-tokenizer, 8 words, [UNK], <s>, </s> */
export const vocab = { '[UNK]': 0, '<s>': 1, '</s>': 2, hello: 3, world: 4, '<|user|>': 5, '<|assistant|>': 6, xlora: 7 };
export const tokenizerJson = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: ['[UNK]', '<s>', '</s>', '<|user|>', '<|assistant|>'].map((content) => ({
    id: vocab[content as keyof typeof vocab], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  })),
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
};
export const CHAT_TEMPLATE = "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|> {{ m.content }} {% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
export const tokenizerConfig = { bos_token: '<s>', eos_token: '</s>', chat_template: CHAT_TEMPLATE };

/** The tokenizer above with `chat_template` replaced (undefined: none), plus any extra files in its folder "m". */
export async function tokenizerWithTemplate(chatTemplate: unknown, extraFiles: Record<string, Uint8Array> = {}): Promise<HfTextTokenizer> {
  const cfg = { ...tokenizerConfig, chat_template: chatTemplate };
  if (chatTemplate === undefined) delete (cfg as { chat_template?: unknown }).chat_template;
  const src = mapFileSource({ 'm/tokenizer.json': enc(tokenizerJson), 'm/tokenizer_config.json': enc(cfg), ...extraFiles });
  return (await loadTokenizer(src, 'm'))!;
}
