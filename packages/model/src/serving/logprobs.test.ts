import { describe, expect, it } from 'vitest';
import { tokenLogprobs } from './logprobs.js';

describe('tokenLogprobs', () => {
  it('gives log-softmax values and the most likely tokens first, ties by lower id', () => {
    // logits ln 1, ln 2, ln 3, ln 2: probabilities 1/8, 2/8, 3/8, 2/8
    const row = Float32Array.from([0, Math.log(2), Math.log(3), Math.log(2)]);
    const r = tokenLogprobs(row, 0, 3);
    expect(r.logprob).toBeCloseTo(Math.log(1 / 8), 6);
    expect(r.top.map((t) => t.token)).toEqual([2, 1, 3]);
    expect(r.top[0].logprob).toBeCloseTo(Math.log(3 / 8), 6);
    expect(r.top[1].logprob).toBeCloseTo(Math.log(1 / 4), 6);
    expect(r.top[2].logprob).toBeCloseTo(Math.log(1 / 4), 6);
    expect(tokenLogprobs(row, 2, 0).top).toEqual([]);
  });
});
