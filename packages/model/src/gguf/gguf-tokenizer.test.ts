import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, type HfTextTokenizer } from '../loading/load-tokenizer.js';
import { mapFileSource } from '../loading/map-file-source.js';
import { DEMO_MODEL } from '../loading/test-helpers.js';
import { openGguf } from './gguf-file.js';
import { ggufTextTokenizer, loadGgufTokenizer } from './gguf-text-tokenizer.js';
import { memorySink, writeGguf } from './gguf-writer.js';
import { tokenizerMetadata } from './hf-tokenizer-metadata.js';
import { spmTokenizerFiles } from './test-helpers.js';

const enc = new TextEncoder();
const STRINGS = [
  'Hello, world!', ' leading space', 'two  spaces and\ttab\nnewline\n\n', 'def add(a, b):\n    return a + b\n', '12 + 345 = 357',
  'naïve café — 日本語 🙂👍🏽', "it's we'll they've", '', ' ', 'the cat and the dog or the cat', 'other theory', '<s> literal </s>',
];

/** A tokenizer.json folder (as files in memory) and the tokenizer @huggingface/tokenizers makes of it. */
async function jsonTokenizer(json: unknown, cfg: unknown): Promise<HfTextTokenizer> {
  return (await loadTokenizer(mapFileSource({ 'tok/tokenizer.json': enc.encode(JSON.stringify(json)), 'tok/tokenizer_config.json': enc.encode(JSON.stringify(cfg)) }), 'tok'))!;
}

/** The same vocabulary written to GGUF metadata, read back, and loaded from the metadata alone. */
async function viaGguf(json: unknown, cfg: Record<string, unknown>) {
  const sink = memorySink();
  await writeGguf(sink, [['general.architecture', { type: 'string', value: 'llama' }], ...tokenizerMetadata(json, cfg, 'tokenizer.json')], []);
  const bytes = sink.bytes();
  const gguf = await openGguf(mapFileSource({ 'm/model.gguf': bytes }), 'm/model.gguf');
  return { gguf, tok: (await ggufTextTokenizer(gguf))! };
}

function expectSameTokenizer(a: HfTextTokenizer, b: HfTextTokenizer, strings: readonly string[]) {
  for (const s of strings) {
    for (const addSpecialTokens of [true, false]) {
      const ids = a.encode(s, { addSpecialTokens });
      expect(b.encode(s, { addSpecialTokens }), JSON.stringify(s)).toEqual(ids);
      if (ids.length > 0) for (const skipSpecialTokens of [true, false]) expect(b.decode(ids, { skipSpecialTokens })).toBe(a.decode(ids, { skipSpecialTokens }));
    }
  }
  expect([b.bosTokenId, b.eosTokenId, b.padTokenId]).toEqual([a.bosTokenId, a.eosTokenId, a.padTokenId]);
  expect(b.specialTokens).toEqual(a.specialTokens);
  expect(b.chatTemplate).toBe(a.chatTemplate);
}

describe('tokenizer from GGUF metadata = the tokenizer.json of the same vocabulary', () => {
  const demoJson = JSON.parse(readFileSync(`${DEMO_MODEL}/base/tokenizer.json`, 'utf8'));
  const demoCfg = JSON.parse(readFileSync(`${DEMO_MODEL}/base/tokenizer_config.json`, 'utf8'));

  it('gpt2 (byte-level BPE): the demo model vocabulary, id == UTF-8 byte', async () => {
    const hf = (await loadTokenizer(mapFileSource({ 'b/tokenizer.json': readFileSync(`${DEMO_MODEL}/base/tokenizer.json`), 'b/tokenizer_config.json': readFileSync(`${DEMO_MODEL}/base/tokenizer_config.json`) }), 'b'))!;
    const { gguf, tok } = await viaGguf(demoJson, demoCfg);
    expect(gguf.metadata.get('tokenizer.ggml.model')?.value).toBe('gpt2');
    expect(gguf.metadata.get('tokenizer.ggml.pre')?.value).toBe('gpt-2');
    expectSameTokenizer(hf, tok, STRINGS);
    // the demo's own definition (its README): ids are the UTF-8 bytes
    for (const s of STRINGS) expect(tok.encode(s)).toEqual([...enc.encode(s)]);
  });

  it('gpt2 with merges and a Llama 3 pre-tokenizer (the demo bytes + 6 merges)', async () => {
    // "Ġcat" is in the vocabulary but no merge makes it: only Llama 3's ignore_merges finds it
    const vocab = { ...demoJson.model.vocab, 'Ġt': 256, he: 257, 'Ġthe': 258, '12': 259, '123': 260, 'Ġc': 261, 'Ġcat': 262 };
    const merges = ['Ġ t', 'h e', 'Ġt he', '1 2', '12 3', 'Ġ c'];
    const { LLAMA3_PATTERN } = await import('./tokenizer-kinds.js');
    const json = {
      ...demoJson,
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
      model: { ...demoJson.model, vocab, merges, ignore_merges: true },
    };
    const hf = await jsonTokenizer(json, demoCfg);
    const { gguf, tok } = await viaGguf(json, demoCfg);
    expect(gguf.metadata.get('tokenizer.ggml.pre')?.value).toBe('llama-bpe');
    expectSameTokenizer(hf, tok, [...STRINGS, '1234567 the 123123']);
    expect(tok.encode(' the 1234')).toEqual([258, 32, 260, 52]); // "Ġthe", "Ġ", "123", "4": digits split in threes
    expect(tok.encode('4123')).toEqual([52, 259, 51]); // "412" + "3" (GPT-2's regex would keep "4123" whole: 4, 123)
    expect(tok.encode(' cat')).toEqual([262]);
  });

  it('llama (SentencePiece BPE with byte fallback): a small vocabulary, scores rebuilt into merges', async () => {
    const { json, cfg } = spmTokenizerFiles();
    const hf = await jsonTokenizer(json, cfg);
    const { gguf, tok } = await viaGguf(json, cfg);
    expect(gguf.metadata.get('tokenizer.ggml.model')?.value).toBe('llama');
    expectSameTokenizer(hf, tok, STRINGS);
    // derived by hand from the merges: "▁the▁cat" -> ▁t, he, ▁the, at, ▁c, ▁cat; "é" falls back to its bytes
    expect(tok.encode('the cat')).toEqual([1, 271, 279]);
    expect(tok.encode('é')).toEqual([1, 259, 3 + 0xc3, 3 + 0xa9]);
    expect(tok.encode('other', { addSpecialTokens: false })).toEqual([259, 266, 260, 270, 267]); // ▁ o t he r: "h e" before "t h"
    expect(tok.decode(tok.encode('é the'), { skipSpecialTokens: true })).toBe('é the');
  });

  it('a tokenizer.json beside the .gguf wins over the metadata', async () => {
    const { json, cfg } = spmTokenizerFiles();
    const sink = memorySink();
    await writeGguf(sink, [['general.architecture', { type: 'string', value: 'llama' }], ...tokenizerMetadata(json, cfg, 'tokenizer.json')], []);
    const files = { 'm/model.gguf': sink.bytes(), 'm/tokenizer.json': readFileSync(`${DEMO_MODEL}/base/tokenizer.json`) };
    const beside = (await loadGgufTokenizer(mapFileSource(files), 'm/model.gguf'))!;
    expect(beside.encode('the')).toEqual([116, 104, 101]); // the byte-level tokenizer.json, not the SPM metadata
    const alone = (await loadGgufTokenizer(mapFileSource({ 'm/model.gguf': files['m/model.gguf'] }), 'm/model.gguf'))!;
    expect(alone.encode('the')).toEqual([1, 271]);
  });
});
