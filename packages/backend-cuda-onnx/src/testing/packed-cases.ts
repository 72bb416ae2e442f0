import { i32, type HostTensor } from '@xlora/core';
import { seeded } from './block-graph.js';

/** Feeds of the packed-weight case graph: x [batch, seq, k] uniform in [-1, 1), ids [batch, seq] in [0, vocab). */
export function blockGraphFeeds(batch: number, seq: number, k: number, vocab: number, seed: number): Record<string, HostTensor> {
  return {
    x: { dtype: 'f32', shape: [batch, seq, k], data: seeded(seed)(batch * seq * k) },
    ids: i32([batch, seq], Array.from({ length: batch * seq }, (_, i) => (i * 7 + seed) % vocab)),
  };
}
