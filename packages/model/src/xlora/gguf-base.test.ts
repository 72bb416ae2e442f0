import { createCpuBackend } from '@xlora/backend-cpu';
import { i32, isPacked } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { memorySink } from '../gguf/gguf-writer.js';
import { writeGgufBaseModel } from '../gguf/hf-to-gguf.js';
import { filesUnder, DEMO_MODEL } from '../loading/test-helpers.js';
import { mapFileSource } from '../loading/map-file-source.js';
import { nodeFileSource } from '../loading/node-file-source.js';
import { loadXLoraModel } from './load-model.js';

const IDS = i32([1, 12], [...new TextEncoder().encode('The sum 2+3=')]);

describe('loadXLoraModel on a GGUF base', () => {
  it('a .gguf file, or a folder holding only it, runs the demo X-LoRA model as the safetensors base does (tokenizer from the metadata)', async () => {
    const sink = memorySink();
    await writeGgufBaseModel(nodeFileSource(DEMO_MODEL), 'base', sink, { dtype: 'f32', onNotice: () => {} });
    const files = filesUnder(DEMO_MODEL);
    for (const k of [...files.keys()]) if (k.startsWith('base/')) files.delete(k);
    files.set('gguf/demo.gguf', sink.bytes());
    const src = mapFileSource(files);
    const backend = await createCpuBackend();
    const st = await loadXLoraModel({ source: nodeFileSource(DEMO_MODEL), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend });
    const want = (await st.forward(IDS)).logits.data;
    for (const baseDir of ['gguf/demo.gguf', 'gguf']) {
      const gg = await loadXLoraModel({ source: src, baseDir, xloraDir: 'xlora', adapterRoot: '', backend });
      const got = (await gg.forward(IDS)).logits.data;
      expect(got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0), baseDir).toBeLessThanOrEqual(1e-6);
      const text = 'def add(a, b):\n    return a + b';
      expect(gg.parts.tokenizer!.encode(text), baseDir).toEqual(st.parts.tokenizer!.encode(text));
    }
  }, 60_000);

  it('dtype re-quantizes a GGUF base: q8_0 from an F32 GGUF gives the bytes q8_0 from safetensors gives', async () => {
    const sink = memorySink();
    await writeGgufBaseModel(nodeFileSource(DEMO_MODEL), 'base', sink, { dtype: 'f32', onNotice: () => {} });
    const files = filesUnder(DEMO_MODEL);
    files.set('demo.gguf', sink.bytes());
    const backend = await createCpuBackend();
    const gg = await loadXLoraModel({ source: mapFileSource(files), baseDir: 'demo.gguf', xloraDir: 'xlora', adapterRoot: '', backend, dtype: 'q8_0' });
    const st = await loadXLoraModel({ source: nodeFileSource(DEMO_MODEL), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend, dtype: 'q8_0' });
    for (const [name, t] of st.parts.baseWeights) {
      const g = gg.parts.baseWeights.get(name)!;
      expect(isPacked(g) ? g.format : 'f32', name).toBe(isPacked(t) ? t.format : 'f32');
      if (isPacked(t) && isPacked(g)) expect(Buffer.compare(g.bytes, t.bytes), name).toBe(0); // (toEqual on MBs of bytes is slow)
    }
  }, 60_000);
});
