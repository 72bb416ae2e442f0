import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
import { enc, tokenizerConfig, tokenizerJson, tokenizerWithTemplate } from './chat-template-testing/test-helpers.js';
import { loadTokenizer } from './load-tokenizer.js';
import { mapFileSource } from './map-file-source.js';

const user = [{ role: 'user', content: 'x' }];

describe('tokenizers built from a tokenizer.json', () => {
  it('round-trips text through a hand-built word-level tokenizer and renders its chat template', async () => {
    const tok = (await loadTokenizer(mapFileSource({ 'm/tokenizer.json': enc(tokenizerJson), 'm/tokenizer_config.json': enc(tokenizerConfig) }), 'm'))!;
    expect(tok.encode('hello world xlora')).toEqual([3, 4, 7]);
    expect(tok.encode('world  hello')).toEqual([4, 3]);
    expect(tok.decode([3, 4, 7])).toBe('hello world xlora');
    expect(tok.eosTokenId).toBe(2);
    const text = applyChatTemplate(tok, [{ role: 'user', content: 'hello world' }]);
    expect(text).toBe('<s><|user|> hello world <|assistant|>');
    expect(tok.encode(text, { addSpecialTokens: false })).toEqual([1, 5, 3, 4, 6]);
  });

  it('says when there is no chat template', async () => {
    const tok = await tokenizerWithTemplate(undefined);
    expect(() => applyChatTemplate(tok, user)).toThrow('has no "chat_template"');
  });
});

describe('chat template errors name the file and field', () => {
  it('prefixes parse errors with "<dir>/tokenizer_config.json: chat_template:"', async () => {
    const tok = await tokenizerWithTemplate('{% for m in messages %}{{ m.content }}');
    expect(() => applyChatTemplate(tok, user)).toThrow(/^m\/tokenizer_config\.json: chat_template: not a valid Jinja template \(.+\)$/);
  });

  it('prefixes render errors, including raise_exception and unsupported operators', async () => {
    const raise = await tokenizerWithTemplate("{{ raise_exception('Conversation roles must alternate user/assistant') }}");
    expect(() => applyChatTemplate(raise, user)).toThrow(
      'm/tokenizer_config.json: chat_template: rendering failed: the template raised an exception: Conversation roles must alternate user/assistant');
    const undef = await tokenizerWithTemplate('{{ messages[0].content + nothing_here }}');
    expect(() => applyChatTemplate(undef, user)).toThrow(/^m\/tokenizer_config\.json: chat_template: rendering failed: .*undefined/);
    const strTimes = await tokenizerWithTemplate("{{ 'a' * 3 }}");
    expect(() => applyChatTemplate(strTimes, user)).toThrow(/^m\/tokenizer_config\.json: chat_template: rendering failed: Unknown operator "\*"/);
  });

  it('throws InputError, not a plain Error', async () => {
    const tok = await tokenizerWithTemplate('{{');
    let caught: unknown;
    try {
      applyChatTemplate(tok, user);
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).name).toBe('InputError');
  });

  it('refuses a template that renders to an empty string, at render time', async () => {
    const tok = await tokenizerWithTemplate('{% if false %}never{% endif %}');
    expect(() => applyChatTemplate(tok, user)).toThrow(
      'm/tokenizer_config.json: chat_template: rendered 1 message(s) to an empty string; the template must produce the prompt text');
  });

  it('gives the templates the globals transformers does (strftime_now, range, namespace, loop)', async () => {
    const tok = await tokenizerWithTemplate("{% set ns = namespace(n=0) %}{% for i in range(1, 7, 2) %}{% set ns.n = ns.n + i %}{{ loop.index }}{% endfor %}={{ ns.n }} {{ strftime_now('%Y') }}");
    expect(applyChatTemplate(tok, user)).toBe(`123=9 ${new Date().getFullYear()}`);
  });
});
