import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { readSplit } from './corpus.js';
import { evaluateWindows, WINDOW_BYTES, windowStarts } from './heldout-eval.js';
import { loadDemoModel } from './load-demo-model.js';
import { DEFAULT_CORPUS_DIR, DEMO_MODEL_DIR } from './paths.js';

/** PEFT's own held-out figures for the shipped checkpoint (the demo's results.json). */
const results = JSON.parse(readFileSync(resolve(DEMO_MODEL_DIR, 'results.json'), 'utf8')) as {
  heldout: { xlora: { math: { loss: number; tokens: number; mean_scalings: number[]; argmax_share: number[] } } };
  heldout_windows: { per_domain: number; seq_len: number };
};

describe('retrain-demo held-out evaluation', () => {
  it('spaces windows as numpy linspace(0, length − 129, count) cast to int', () => {
    expect(windowStarts(52595, 128, 'math')[0]).toBe(0);
    expect(windowStarts(52595, 128, 'math')[127]).toBe(52595 - 129);
    expect(windowStarts(1000, 4, 'x')).toEqual([0, 290, 580, 871]); // (1000 − 129) · i / 3 = 0, 290.33, 580.67, 871
    expect(windowStarts(1000, 1, 'x')).toEqual([0]);
    expect(() => windowStarts(200, 100, 'math.eval.bin')).toThrow(InputError);
    expect(() => windowStarts(100, 1, 'math.eval.bin')).toThrow(/math.eval.bin: 100 bytes/);
  });

  it('reproduces PEFT\'s held-out math loss, mean scalings and argmax share of the shipped checkpoint (128 windows)', async () => {
    const want = results.heldout.xlora.math;
    expect(results.heldout_windows.seq_len).toBe(WINDOW_BYTES);
    const math = await readSplit(DEFAULT_CORPUS_DIR, 'math', 'eval', WINDOW_BYTES + 1);
    const root = DEMO_MODEL_DIR;
    const { model, backend } = await loadDemoModel({ model: resolve(root, 'base'), xlora: resolve(root, 'xlora'), adapterRoot: root }, () => {});
    try {
      const got = await evaluateWindows(model, math, windowStarts(math.length, results.heldout_windows.per_domain, 'math'));
      expect(got.tokens).toBe(want.tokens);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
      got.meanScalings.forEach((s, c) => expect(Math.abs(s - want.mean_scalings[c]!)).toBeLessThan(1e-5));
      // shares are counts of 16384 bytes: allow one byte whose layer-mean argmax is a near tie
      got.argmaxShare.forEach((s, c) => expect(Math.abs(s - want.argmax_share[c]!)).toBeLessThanOrEqual(1 / 16384));
    } finally {
      backend.dispose();
    }
  }, 400_000);
});
