import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSplit } from './corpus.js';
import { evaluateWindows, WINDOW_BYTES, windowStarts } from './heldout-eval.js';
import { loadDemoModel } from './load-demo-model.js';
import { DEFAULT_CORPUS_DIR, DEMO_MODEL_DIR } from './paths.js';
import { readRoutingPrompt, routingDemo } from './routing-demo.js';

/** PEFT's own figures for its checkpoint (the demo's results.json): the bar the shipped retrained classifier must clear. */
const results = JSON.parse(readFileSync(resolve(DEMO_MODEL_DIR, 'results.json'), 'utf8')) as {
  heldout: { xlora: Record<'code' | 'math', { loss: number }> };
  heldout_windows: { per_domain: number };
  routing_demo: { per_token_mean_over_layers: { prose: number; code: number; math: number }[] };
};

/** Top-expert switches along PEFT's routing demo, counted from results.json's own per-byte scalings. */
function peftSwitches(): number {
  const top = results.routing_demo.per_token_mean_over_layers.map((t) => [t.prose, t.code, t.math].indexOf(Math.max(t.prose, t.code, t.math)));
  return top.filter((e, i) => i > 0 && e !== top[i - 1]).length;
}

describe('the demo classifier retrained with xlora train (models/xlora-demo/xlora-retrained)', () => {
  it('beats PEFT\'s checkpoint on held-out math (PEFT\'s own figure) and routes the demo prompt with fewer switches', async () => {
    const root = DEMO_MODEL_DIR;
    const { model, backend } = await loadDemoModel({ model: resolve(root, 'base'), xlora: resolve(root, 'xlora-retrained'), adapterRoot: root }, () => {});
    try {
      const math = await readSplit(DEFAULT_CORPUS_DIR, 'math', 'eval', WINDOW_BYTES + 1);
      const got = await evaluateWindows(model, math, windowStarts(math.length, results.heldout_windows.per_domain, 'math'));
      expect(got.loss).toBeLessThan(results.heldout.xlora.math.loss);
      const demo = await routingDemo(model, await readRoutingPrompt(resolve(root, 'results.json')), ['prose', 'code', 'math']);
      expect(peftSwitches()).toBe(17);
      expect(demo.switches).toBeLessThanOrEqual(3);
    } finally {
      backend.dispose();
    }
  }, 400_000);
});
