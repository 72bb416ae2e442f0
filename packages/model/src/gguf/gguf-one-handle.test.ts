import { describe, expect, it } from 'vitest';
import type { FileSource, RandomAccessFile } from '../loading/file-source.js';
import { mapFileSource } from '../loading/map-file-source.js';
import { nodeFileSource } from '../loading/node-file-source.js';
import { DEMO_MODEL } from '../loading/test-helpers.js';
import { memorySink } from './gguf-writer.js';
import { loadGgufTokenizer } from './gguf-text-tokenizer.js';
import { writeGgufBaseModel } from './hf-to-gguf.js';
import { loadGgufBaseModel } from './load-gguf-base-model.js';

/** A source that counts how the loader reaches the file: opens, reads through handles, direct range reads, closes. */
function counting(inner: FileSource) {
  const count = { open: 0, handleReads: 0, directRanges: 0, wholeReads: 0, closed: 0 };
  const src: FileSource = {
    describe: (p) => inner.describe(p),
    exists: (p) => inner.exists(p),
    size: (p) => inner.size(p),
    read: (p, progress) => {
      count.wholeReads++;
      return inner.read(p, progress);
    },
    readRange: (p, s, e) => {
      count.directRanges++;
      return inner.readRange(p, s, e);
    },
    async open(p): Promise<RandomAccessFile> {
      count.open++;
      const size = await inner.size(p);
      return {
        size,
        read: (s, e) => {
          count.handleReads++;
          return inner.readRange(p, s, e);
        },
        close: async () => {
          count.closed++;
        },
      };
    },
  };
  return { src, count };
}

describe('GGUF files are read through one open handle', () => {
  it('a base model load opens the file once, reads the header and every tensor through it, and closes it', async () => {
    const sink = memorySink();
    await writeGgufBaseModel(nodeFileSource(DEMO_MODEL), 'base', sink, { dtype: 'q8_0', onNotice: () => {} });
    const { src, count } = counting(mapFileSource({ 'demo.gguf': sink.bytes() }));
    const base = await loadGgufBaseModel(src, 'demo.gguf');
    const tensors = [...new Set(base.weights.values())].length;
    expect(count.open).toBe(1);
    expect(count.closed).toBe(1);
    expect(count.directRanges).toBe(0);
    expect(count.wholeReads).toBe(0);
    // the header prefix, then one read per tensor
    expect(count.handleReads).toBe(1 + tensors);

    const tok = await loadGgufTokenizer(src, 'demo.gguf');
    expect(tok?.encode('ab', { addSpecialTokens: false })).toEqual([97, 98]);
    expect(count.open).toBe(2);
    expect(count.closed).toBe(2);
  });
});
