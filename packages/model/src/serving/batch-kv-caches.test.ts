import { createCpuBackend } from '@xlora/backend-cpu';
import { f32, type HostTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import { describe, expect, it } from 'vitest';
import { BatchKvCaches, type CacheSource } from './batch-kv-caches.js';

// one layer, one kv head, head_dim 1: a cache row is its list of values
const config = { numHiddenLayers: 1, numKeyValueHeads: 1, headDim: 1 } as LlamaConfig;
const source = (rows: number[][]): CacheSource => {
  const len = rows[0].length;
  const t = f32([rows.length, 1, len, 1], rows.flat());
  return { feeds: () => ({ 'real.past.0.key': t, 'real.past.0.value': t }) };
};

describe('BatchKvCaches.gather', () => {
  it('right-aligns each row\'s own tokens, gaps zero, width = the longest row', async () => {
    const backend = await createCpuBackend();
    const batch = source([[0, 0, 1, 2], [3, 4, 5, 6]]); // row 0 owns its last 2 columns
    const prefill = source([[7, 8, 9]]);
    const c = await BatchKvCaches.gather(backend, config, ['real'], [
      { source: batch, row: 1, length: 4 }, { source: prefill, row: 0, length: 3 }, { source: batch, row: 0, length: 2 },
    ]);
    expect(c.length).toBe(4);
    const key = c.feeds()['real.past.0.key'] as HostTensor;
    expect(key.shape).toEqual([3, 1, 4, 1]);
    expect(Array.from(key.data)).toEqual([3, 4, 5, 6, 0, 7, 8, 9, 0, 0, 1, 2]);
    expect(c.presentNames()).toEqual(['real.present.0.key', 'real.present.0.value']);
    // columns no row owns are dropped
    const short = await BatchKvCaches.gather(backend, config, ['real'], [{ source: batch, row: 0, length: 2 }]);
    expect(Array.from((short.feeds()['real.past.0.value'] as HostTensor).data)).toEqual([1, 2]);
  });
});
