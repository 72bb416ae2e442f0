import { describe, expect, it } from 'vitest';
import { findGgufBase } from './gguf-dispatch.js';
import { loadBaseModel } from './load-base-model.js';
import { mapFileSource } from './map-file-source.js';
import { expectInputError, json } from './test-helpers.js';

const file = new Uint8Array(16);

describe('baseDir naming a GGUF file or a folder with one', () => {
  it('finds the .gguf file: named, or the only one of a folder without config.json', async () => {
    const src = mapFileSource({ 'a/model.Q4_K_M.gguf': file, 'a/tokenizer.json': json({}), 'b/config.json': json({}), 'b/x.gguf': file, 'c/x.gguf': file, 'c/y.GGUF': file });
    expect(await findGgufBase(src, 'a/model.Q4_K_M.gguf')).toBe('a/model.Q4_K_M.gguf');
    expect(await findGgufBase(src, 'a')).toBe('a/model.Q4_K_M.gguf');
    expect(await findGgufBase(src, 'b')).toBeNull(); // config.json: a transformers folder
    expect(await findGgufBase(src, 'missing')).toBeNull();
    await expectInputError(() => findGgufBase(src, 'c'), 'c: has no config.json and 2 .gguf files (x.gguf, y.GGUF): name the one to load');
  });

  it('loadBaseModel hands such a path to the GGUF loader (whose errors name the file)', async () => {
    const src = mapFileSource({ 'g/m.gguf': new TextEncoder().encode('not a gguf file at all') });
    for (const dir of ['g/m.gguf', 'g']) await expectInputError(() => loadBaseModel(src, dir), 'g/m.gguf: not a GGUF file: it starts with "not ", expected "GGUF"');
    await expectInputError(() => loadBaseModel(mapFileSource({ 'h/x.txt': file }), 'h'), 'h/config.json: file not found');
  });
});
