import { f32, type AttentionAttrs, type HostTensor } from '@xlora/core';
import { matmul } from './matmul.js';

/**
 * One block of query rows of attention: batch b, kv head kvh, the `group` query heads sharing it and positions
 * [s0, s1) of the new tokens. Rows are stacked head-major: row r = g·(s1 − s0) + (s − s0) is head kvh·group + g at
 * position s.
 */
export interface QueryBlock {
  readonly b: number;
  readonly kvh: number;
  readonly s0: number;
  readonly s1: number;
}

/** Query positions per block: at most this many scores ([rows, total] f32) are held at once. */
const BLOCK_SCORES = 1 << 22;

/** The blocks [s0, s1) that cover `seq` query positions of `group` heads over `total` keys. */
export function queryBlocks(seq: number, group: number, total: number): [number, number][] {
  const per = Math.max(1, Math.min(seq, Math.floor(BLOCK_SCORES / Math.max(1, group * total))));
  const out: [number, number][] = [];
  for (let s0 = 0; s0 < seq; s0 += per) out.push([s0, Math.min(seq, s0 + per)]);
  return out;
}

/** Rows [group·(s1−s0), hd] of a [B,S,n·hd] tensor (q, dOut) for one query block, stacked head-major. */
export function gatherHeads(x: Float32Array, blk: QueryBlock, seq: number, numHeads: number, group: number, hd: number): HostTensor<'f32'> {
  const len = blk.s1 - blk.s0;
  const out = f32([group * len, hd]);
  for (let g = 0; g < group; g++) {
    const h = blk.kvh * group + g;
    for (let s = blk.s0; s < blk.s1; s++) {
      const from = ((blk.b * seq + s) * numHeads + h) * hd;
      out.data.set(x.subarray(from, from + hd), (g * len + s - blk.s0) * hd);
    }
  }
  return out;
}

/** Adds rows [group·(s1−s0), hd] back into a [B,S,n·hd] tensor (gatherHeads' inverse). */
export function scatterHeads(rows: Float32Array, into: Float32Array, blk: QueryBlock, seq: number, numHeads: number, group: number, hd: number): void {
  const len = blk.s1 - blk.s0;
  for (let g = 0; g < group; g++) {
    const h = blk.kvh * group + g;
    for (let s = blk.s0; s < blk.s1; s++) {
      const to = ((blk.b * seq + s) * numHeads + h) * hd;
      const from = (g * len + s - blk.s0) * hd;
      for (let i = 0; i < hd; i++) into[to + i] += rows[from + i];
    }
  }
}

/**
 * The attention probabilities of one query block: q rows [R, hd] against the kv head's keys [total, hd]
 * (past cache + new tokens) -> p [R, total], scores f32(q·k·scale), with a softcap c·tanh(score/c), masked (mask
 * [B,T] 0, past the causal edge P+s, or before the sliding window) to 0, softmax per row (a row with no visible key
 * stays 0). With `slope`, also d capped score / d raw score per entry (1 without a softcap).
 */
export function attentionProbabilities(
  q: HostTensor<'f32'>, keys: HostTensor<'f32'>, mask: HostTensor, blk: QueryBlock, past: number, attrs: AttentionAttrs,
  slope?: Float32Array,
): HostTensor<'f32'> {
  const total = keys.shape[0];
  const len = blk.s1 - blk.s0;
  const window = attrs.slidingWindow ?? null;
  const cap = attrs.logitSoftcap ?? null;
  const p = matmul(q, keys); // [R, total] raw q·k
  const pd = p.data;
  const rows = pd.length / total;
  const maskRow = blk.b * total;
  for (let r = 0; r < rows; r++) {
    const visible = past + blk.s0 + (r % len) + 1;
    const first = window === null ? 0 : Math.max(0, visible - window); // oldest column in the window
    const o = r * total;
    let max = -Infinity;
    for (let t = 0; t < total; t++) {
      if (t < first || t >= visible || mask.data[maskRow + t] === 0) {
        pd[o + t] = -Infinity;
        continue;
      }
      let score = Math.fround(pd[o + t] * attrs.scale);
      if (cap !== null) {
        const th = Math.fround(Math.tanh(Math.fround(score / cap)));
        score = Math.fround(cap * th);
        if (slope) slope[o + t] = 1 - th * th;
      } else if (slope) {
        slope[o + t] = 1;
      }
      pd[o + t] = score;
      if (score > max) max = score;
    }
    if (max === -Infinity) {
      pd.fill(0, o, o + total);
      continue;
    }
    let sum = 0;
    for (let t = 0; t < total; t++) {
      const e = pd[o + t] === -Infinity ? 0 : Math.fround(Math.exp(pd[o + t] - max));
      pd[o + t] = e;
      sum += e;
    }
    for (let t = 0; t < total; t++) pd[o + t] /= sum;
  }
  return p;
}
