import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
import { MAX_CHAT_TEMPLATE_STEPS, MAX_CHAT_TEMPLATE_STRING_LENGTH } from './chat-template-render.js';
import { tokenizerWithTemplate } from './chat-template-testing/test-helpers.js';

const user = [{ role: 'user', content: 'hello' }];
const PREFIX = 'm/tokenizer_config.json: chat_template: rendering failed: ';
const render = async (template: string, limits?: Parameters<typeof applyChatTemplate>[2]) => applyChatTemplate(await tokenizerWithTemplate(template), user, limits);
const renderError = async (template: string, limits?: Parameters<typeof applyChatTemplate>[2]): Promise<string> => {
  try {
    await render(template, limits);
  } catch (err) {
    expect((err as Error).name).toBe('InputError');
    return (err as Error).message;
  }
  throw new Error(`rendered without error: ${template}`);
};

describe('chat templates cannot abort or hang the process', () => {
  it('refuses range(10**9) before building it (V8 used to abort with "invalid size")', async () => {
    expect(await renderError('{% for i in range(10**9) %}{% endfor %}')).toBe(`${PREFIX}range() of 1000000000 items is longer than the limit of 100000`);
  });

  it('stops two nested range(100000) loops at the step limit', async () => {
    const t0 = Date.now();
    expect(await renderError('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}'))
      .toBe(`${PREFIX}rendering took more than ${MAX_CHAT_TEMPLATE_STEPS} steps (a loop or recursion that does not end, or too much work)`);
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 30_000);

  it('counts loop iterations over a list built once (no range call inside the loop)', async () => {
    expect(await renderError('{% set xs = range(1000) %}{% for i in xs %}{% for j in xs %}{% endfor %}{% endfor %}', { limits: { maxSteps: 100_000 } }))
      .toMatch(/rendering took more than 100000 steps/);
  });

  it('counts the work of filters over big lists inside loops', async () => {
    expect(await renderError('{% set xs = range(10000) %}{% for i in range(100) %}{{ xs|length }}{% endfor %}', { limits: { maxSteps: 500_000 } }))
      .toMatch(/rendering took more than 500000 steps/);
  });

  it('bounds strings built by doubling', async () => {
    expect(await renderError("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"))
      .toBe(`${PREFIX}a string of ${2 * MAX_CHAT_TEMPLATE_STRING_LENGTH} characters is longer than the limit of ${MAX_CHAT_TEMPLATE_STRING_LENGTH}`);
  });

  it('bounds the output itself', async () => {
    expect(await renderError('{% for i in range(100) %}{{ messages[0].content }}{% endfor %}', { limits: { maxStringLength: 400 } }))
      .toBe(`${PREFIX}a string of 500 characters is longer than the limit of 400`);
  });

  it('bounds lists built by doubling', async () => {
    expect(await renderError('{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}'))
      .toBe(`${PREFIX}a list of 131072 items is longer than the limit of 100000`);
  });

  it('bounds indent widths, which would allocate before any check', async () => {
    expect(await renderError("{{ 'a\\nb'|indent(500000000) }}")).toBe(`${PREFIX}a width of 500000000 is larger than the string limit of ${MAX_CHAT_TEMPLATE_STRING_LENGTH}`);
    expect(await renderError('{{ messages|tojson(indent=500000000) }}')).toBe(`${PREFIX}a width of 500000000 is larger than the string limit of ${MAX_CHAT_TEMPLATE_STRING_LENGTH}`);
  });

  it('stops a macro that calls itself without end', async () => {
    expect(await renderError('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}')).toMatch(/^.*rendering failed: evaluation nested more than 400 deep/);
  });

  it('string repetition is not supported, so it cannot blow up', async () => {
    expect(await renderError("{{ 'a' * 10**9 }}")).toMatch(/Unknown operator "\*" between StringValue and IntegerValue/);
  });

  it('limits are overridable: a bigger budget lets a bigger loop through', async () => {
    const template = '{% for i in range(200000) %}{% endfor %}ok';
    expect(await renderError(template)).toMatch(/range\(\) of 200000 items/);
    expect(await render(template, { limits: { maxListLength: 200_000 } })).toBe('ok');
  });

  it('a real-size conversation renders well within the limits', async () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'hello world '.repeat(50) }));
    const tok = await tokenizerWithTemplate("{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('alternate') }}{% endif %}<|{{ m.role }}|> {{ m.content | trim }} {% endfor %}");
    expect(applyChatTemplate(tok, messages).length).toBeGreaterThan(500 * 600);
  });
});
