import { describe, expect, it } from 'vitest';
import { IGNORED_LABEL, textWindows, windowBatch } from './training-windows.js';

const bytesOf = (s: string) => [...new TextEncoder().encode(s)];

describe('textWindows', () => {
  it('cuts 10 ids into windows of 4: two full rows and a padded tail of 2', () => {
    const ids = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    const w = textWindows(ids, 4, 0);
    expect(w.rows).toBe(3);
    expect(w.inputIds).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 0]);
    expect(w.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(w.labels).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, IGNORED_LABEL, IGNORED_LABEL]);
  });

  it('drops a 1-token tail (nothing for the loss to count) and keeps exact multiples unpadded', () => {
    expect(textWindows([1, 2, 3, 4, 5], 4, 0).rows).toBe(1);
    const w = textWindows(bytesOf('abcdef'), 3, 0);
    expect(w.rows).toBe(2);
    expect(w.inputIds).toEqual([97, 98, 99, 100, 101, 102]);
    expect(w.attentionMask.every((m) => m === 1)).toBe(true);
  });

  it('rejects texts too short for one window and bad window lengths', () => {
    expect(() => textWindows([7], 8, 0)).toThrow('the text has 1 token: a training window needs at least 2');
    expect(() => textWindows([1, 2, 3], 1, 0)).toThrow('window length must be an integer in [2, 1024], got 1');
    expect(() => textWindows([1, 2, 3], 2.5, 0)).toThrow('got 2.5');
    expect(() => textWindows(new Array(2 * 4097).fill(1), 2, 0)).toThrow('makes 4097 windows of 2 tokens; at most 4096');
  });
});

describe('windowBatch', () => {
  it('takes consecutive rows and wraps around the end', () => {
    const w = textWindows([1, 2, 3, 4, 5, 6], 2, 0); // rows [1,2] [3,4] [5,6]
    expect(windowBatch(w, 2, 2).inputIds).toEqual([5, 6, 1, 2]);
    expect(windowBatch(w, 4, 1).labels).toEqual([3, 4]);
    expect(windowBatch(w, 0, 9).rows).toBe(3); // never more rows than the text has
  });
});
