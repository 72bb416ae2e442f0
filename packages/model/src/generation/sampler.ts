import { InputError } from '@xlora/core';

export interface SamplingOptions {
  /** false (default): greedy argmax, like HF generate(do_sample=False) */
  doSample?: boolean;
  temperature?: number;
  /** keep the k most likely tokens (0 or undefined: all) */
  topK?: number;
  /** nucleus sampling: keep the smallest set whose probability reaches topP (1: all) */
  topP?: number;
  /** seed of the sampler's PRNG; the same seed gives the same tokens */
  seed?: number;
}

/** Picks next tokens from [V] logits rows: greedy (first maximum, as torch.argmax) or seeded sampling. */
export class TokenSampler {
  private state: number;
  constructor(private readonly options: SamplingOptions = {}) {
    const { temperature = 1, topK = 0, topP = 1 } = options;
    if (!(temperature > 0)) throw new InputError(`sampling option "temperature" must be > 0, got ${temperature}`);
    if (!(Number.isInteger(topK) && topK >= 0)) throw new InputError(`sampling option "topK" must be an integer >= 0, got ${topK}`);
    if (!(topP > 0 && topP <= 1)) throw new InputError(`sampling option "topP" must be in (0, 1], got ${topP}`);
    this.state = (options.seed ?? 0) >>> 0;
  }

  pick(logits: Float32Array): number {
    if (!this.options.doSample) return argmax(logits);
    const { temperature = 1, topK = 0, topP = 1 } = this.options;
    let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
    if (topK > 0) order = order.slice(0, topK);
    const max = logits[order[0]];
    let probs = order.map((i) => Math.exp((logits[i] - max) / temperature));
    let sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / sum);
    if (topP < 1) {
      let acc = 0, keep = 0;
      while (keep < probs.length && acc < topP) acc += probs[keep++];
      order = order.slice(0, keep);
      probs = probs.slice(0, keep);
      sum = probs.reduce((a, b) => a + b, 0);
      probs = probs.map((p) => p / sum);
    }
    let u = this.next();
    for (let i = 0; i < order.length; i++) {
      u -= probs[i];
      if (u < 0) return order[i];
    }
    return order[order.length - 1];
  }

  /** mulberry32 */
  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
