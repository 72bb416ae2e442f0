import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
import { CHAT_TEMPLATE, enc, tokenizerWithTemplate } from './chat-template-testing/test-helpers.js';

const user = [{ role: 'user', content: 'hello' }];
const list = [{ name: 'default', template: CHAT_TEMPLATE }, { name: 'tool_use', template: 'TOOLS {{ messages[0].content }}' }];

describe('the list form of chat_template ([{"name", "template"}], as transformers reads it)', () => {
  it('uses the template named "default" unless another is asked for by name', async () => {
    const tok = await tokenizerWithTemplate(list);
    expect(tok.chatTemplate).toBe(CHAT_TEMPLATE);
    expect(Object.keys(tok.chatTemplates!)).toEqual(['default', 'tool_use']);
    expect(applyChatTemplate(tok, user)).toBe('<s><|user|> hello <|assistant|>');
    expect(applyChatTemplate(tok, user, { templateName: 'tool_use' })).toBe('TOOLS hello');
  });

  it('names the template in errors', async () => {
    const tok = await tokenizerWithTemplate([{ name: 'default', template: '{{ raise_exception("no") }}' }]);
    expect(() => applyChatTemplate(tok, user)).toThrow('m/tokenizer_config.json: chat_template "default": rendering failed: the template raised an exception: no');
  });

  it('refuses a list without "default" unless a name is given, and unknown names', async () => {
    const tok = await tokenizerWithTemplate([list[1]]);
    expect(tok.chatTemplate).toBeUndefined();
    expect(() => applyChatTemplate(tok, user)).toThrow('m/tokenizer_config.json: chat_template: no template named "default" among "tool_use"; ask for one by name');
    expect(applyChatTemplate(tok, user, { templateName: 'tool_use' })).toBe('TOOLS hello');
    expect(() => applyChatTemplate(tok, user, { templateName: 'rag' })).toThrow('m/tokenizer_config.json: chat_template: no template named "rag"; the templates are "tool_use"');
  });

  it('reports malformed lists and entries with their index', async () => {
    await expect(tokenizerWithTemplate([{ name: 'default' }])).rejects.toThrow('m/tokenizer_config.json: chat_template[0]: "template" must be a string, got undefined');
    await expect(tokenizerWithTemplate([list[0], { template: 'x' }])).rejects.toThrow('m/tokenizer_config.json: chat_template[1]: "name" must be a non-empty string, got undefined');
    await expect(tokenizerWithTemplate(['{{ x }}'])).rejects.toThrow('m/tokenizer_config.json: chat_template[0]: expected {"name": ..., "template": ...}, got "{{ x }}"');
    await expect(tokenizerWithTemplate([list[0], list[0]])).rejects.toThrow('m/tokenizer_config.json: chat_template[1]: a second template named "default"');
    await expect(tokenizerWithTemplate([])).rejects.toThrow('m/tokenizer_config.json: chat_template: the list of templates is empty');
    await expect(tokenizerWithTemplate(42)).rejects.toThrow('m/tokenizer_config.json: chat_template: expected a string or a list of {"name": ..., "template": ...}, got number 42');
  });
});

describe('chat_template.jinja beside tokenizer_config.json', () => {
  it('replaces tokenizer_config.json\'s template, and errors name the .jinja file', async () => {
    const tok = await tokenizerWithTemplate(CHAT_TEMPLATE, { 'm/chat_template.jinja': enc('JINJA {{ messages[0].content }}') });
    expect(applyChatTemplate(tok, user)).toBe('JINJA hello');
    const broken = await tokenizerWithTemplate(undefined, { 'm/chat_template.jinja': enc('{% if %}') });
    expect(() => applyChatTemplate(broken, user)).toThrow(/^m\/chat_template\.jinja: not a valid Jinja template \(/);
  });

  it('reports a .jinja file that is not UTF-8', async () => {
    await expect(tokenizerWithTemplate(undefined, { 'm/chat_template.jinja': new Uint8Array([0xff, 0xfe, 0x00]) }))
      .rejects.toThrow('m/chat_template.jinja: not valid UTF-8 text');
  });
});
