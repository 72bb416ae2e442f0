import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
import { loadTokenizer } from './load-tokenizer.js';
import { mapFileSource } from './map-file-source.js';

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

/** A word-level tokenizer.json built by hand: whitespace pre-tokenizer, 8 words, [UNK], <s>, </s>. */
const vocab = { '[UNK]': 0, '<s>': 1, '</s>': 2, hello: 3, world: 4, '<|user|>': 5, '<|assistant|>': 6, xlora: 7 };
const tokenizerJson = {
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
const config = {
  bos_token: '<s>', eos_token: '</s>',
  chat_template: "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|> {{ m.content }} {% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}",
};

describe('tokenizers built from a tokenizer.json', () => {
  it('round-trips text through a hand-built word-level tokenizer and renders its chat template', async () => {
    const tok = (await loadTokenizer(mapFileSource({ 'm/tokenizer.json': enc(tokenizerJson), 'm/tokenizer_config.json': enc(config) }), 'm'))!;
    expect(tok.encode('hello world xlora')).toEqual([3, 4, 7]);
    expect(tok.encode('world  hello')).toEqual([4, 3]);
    expect(tok.decode([3, 4, 7])).toBe('hello world xlora');
    expect(tok.eosTokenId).toBe(2);
    const text = applyChatTemplate(tok, [{ role: 'user', content: 'hello world' }]);
    expect(text).toBe('<s><|user|> hello world <|assistant|>');
    expect(tok.encode(text, { addSpecialTokens: false })).toEqual([1, 5, 3, 4, 6]);
  });

  it('says when there is no chat template', async () => {
    const tok = (await loadTokenizer(mapFileSource({ 'm/tokenizer.json': enc(tokenizerJson) }), 'm'))!;
    expect(() => applyChatTemplate(tok, [{ role: 'user', content: 'x' }])).toThrow('has no "chat_template"');
  });
});
