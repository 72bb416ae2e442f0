import { describe, expect, it } from 'vitest';
import { ScalingsStore } from './scalings-store.js';

// positions with one layer and two experts: [w0, w1]
const rows = (start: number, ...pairs: [number, number][]) => ({
  start, shape: [1, pairs.length, 1, 2] as [number, number, number, number], data: Float32Array.from(pairs.flat()),
});

describe('ScalingsStore', () => {
  it('appends streamed rows and attributes each generated token to the scalings that produced it', () => {
    const s = new ScalingsStore();
    s.reset(['a', 'b']); // prompt of 2 tokens
    s.addRows(rows(0, [0.9, 0.1], [0.2, 0.8])); // step 0 reads the prompt
    s.addToken('x'); // produced with the scalings at position 1
    expect(s.leaderForGenerated(0)).toBe(1);
    s.addRows(rows(2, [0.6, 0.4])); // step 1 reads 'x'
    s.addToken('y');
    expect(s.numRows).toBe(3);
    expect(s.tensor().shape).toEqual([1, 3, 1, 2]);
    expect(s.leaderForGenerated(1)).toBe(0);
    const shares = s.outputShares();
    expect(shares.positions).toBe(2);
    expect(shares.mean[0]).toBeCloseTo(0.4, 6);
    expect(shares.leading).toEqual([0.5, 0.5]);
  });
});
