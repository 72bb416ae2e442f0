import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './load-tokenizer.js';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { parseSafetensors } from './safetensors-file.js';
import { DEMO_MODEL, expectInputError, json } from './test-helpers.js';

const golden = JSON.parse(readFileSync(`${DEMO_MODEL}/golden.json`, 'utf8')) as {
  prompts: Record<string, { text: string; generated_text: string }>;
  routing_prompt: string;
};
const goldenTensors = parseSafetensors(new Uint8Array(readFileSync(`${DEMO_MODEL}/golden.safetensors`)), 'golden.safetensors');

describe('loadTokenizer (demo byte-level tokenizer via @huggingface/tokenizers)', async () => {
  const tok = (await loadTokenizer(nodeFileSource(DEMO_MODEL), 'base'))!;

  it('encodes the golden prompts to their bytes', () => {
    expect(tok.encode('7*8=56\n23+45=')).toEqual([...new TextEncoder().encode('7*8=56\n23+45=')]);
    for (const name of ['prose', 'code', 'math']) {
      expect(tok.encode(golden.prompts[name].text)).toEqual([...goldenTensors.getI32(`${name}.input_ids`).data]);
    }
    expect(tok.encode(golden.routing_prompt)).toEqual([...goldenTensors.getI32('routing.input_ids').data]);
  });

  it('decodes the golden generations and round-trips UTF-8', () => {
    for (const name of ['prose', 'code', 'math']) {
      const ids = [...goldenTensors.getI32(`${name}.gen.tokens`).data];
      expect(tok.decode(ids)).toBe(golden.prompts[name].text + golden.prompts[name].generated_text);
    }
    for (const s of ['héllo wörld', 'emoji 🙂\ttab\r\n', '    indented = {"a": 1}']) {
      const ids = tok.encode(s);
      expect(ids).toEqual([...new TextEncoder().encode(s)]);
      expect(tok.decode(ids)).toBe(s);
    }
    expect(tok.eosTokenId).toBeUndefined();
  });
});

describe('loadTokenizer edge cases', () => {
  it('returns null without tokenizer.json', async () => {
    expect(await loadTokenizer(mapFileSource(new Map()), 'base')).toBeNull();
  });

  it('finds special token ids named in tokenizer_config.json', async () => {
    const tj = JSON.parse(readFileSync(`${DEMO_MODEL}/base/tokenizer.json`, 'utf8'));
    const src = mapFileSource(new Map([
      ['t/tokenizer.json', json(tj)],
      ['t/tokenizer_config.json', json({ eos_token: { content: '!' }, bos_token: '#' })],
    ]));
    const tok = (await loadTokenizer(src, 't'))!;
    expect(tok.eosTokenId).toBe(33);
    expect(tok.bosTokenId).toBe(35);
  });

  it('reports a broken tokenizer.json', async () => {
    const src = mapFileSource(new Map([['t/tokenizer.json', new TextEncoder().encode('{"model": ')]]));
    await expectInputError(() => loadTokenizer(src, 't'), /^t\/tokenizer\.json: not valid JSON \(/);
    const odd = mapFileSource(new Map([['t/tokenizer.json', json({ model: { type: 'NoSuchModel' } })]]));
    await expectInputError(() => loadTokenizer(odd, 't'), /^t\/tokenizer\.json: @huggingface\/tokenizers cannot load this tokenizer \(/);
  });
});
