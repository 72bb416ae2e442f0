import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { DOMAINS } from './corpus.js';
import { loadDemoModel } from './load-demo-model.js';
import { DEMO_MODEL_DIR } from './paths.js';
import { peftReference } from './peft-reference.js';
import { promptSegments, readRoutingPrompt, routingDemo } from './routing-demo.js';

const RESULTS = resolve(DEMO_MODEL_DIR, 'results.json');
/** PEFT's routing demo for the shipped checkpoint: per-byte layer means (4 decimals) and the README's segment table. */
const demo = (JSON.parse(readFileSync(RESULTS, 'utf8')) as {
  routing_demo: { prompt: string; experts: string[]; per_token_mean_over_layers: Record<string, number>[]; segment_means: Record<string, number[]> };
}).routing_demo;

/** Top-expert switches of PEFT's per-byte table, counted here from the fixture's numbers alone. */
function fixtureSwitches(): number {
  const tops = demo.per_token_mean_over_layers.map((t) => {
    const s = demo.experts.map((e) => t[e]!);
    return s.indexOf(Math.max(...s));
  });
  return tops.filter((top, i) => i > 0 && top !== tops[i - 1]).length;
}

describe('retrain-demo routing demo', () => {
  it('finds the README\'s segments in the prompt text', () => {
    const p = demo.prompt;
    expect(promptSegments(p).map((s) => [s.name, p.slice(s.start, s.end)])).toEqual([
      ['english (line 1)', 'The function below adds two numbers.'],
      ['code (def/return lines)', 'def add(a, b):\n    return a + b\n'],
      ["digits/operators '12+30=42'", '12+30=42'],
    ]);
    expect(Object.keys(demo.segment_means)).toEqual(promptSegments(p).map((s) => s.name));
    expect(() => promptSegments('one line only')).toThrow(InputError);
    expect(() => promptSegments('a\nb\nno numbers')).toThrow(/no arithmetic/);
  });

  it('gives PEFT\'s per-byte scalings, segment means and top experts for the shipped checkpoint', async () => {
    expect(await readRoutingPrompt(RESULTS)).toBe(demo.prompt);
    const root = DEMO_MODEL_DIR;
    const { model, backend } = await loadDemoModel({ model: resolve(root, 'base'), xlora: resolve(root, 'xlora'), adapterRoot: root }, () => {});
    try {
      expect(demo.experts).toEqual([...DOMAINS]);
      const got = await routingDemo(model, demo.prompt, DOMAINS);
      expect(got.perByte).toHaveLength(demo.per_token_mean_over_layers.length);
      got.perByte.forEach((b, pos) => {
        const want = demo.per_token_mean_over_layers[pos]!;
        expect(b.char).toBe(String(want.char));
        // 4 decimals in results.json: rounding ±5e-5, plus the float32 tolerance
        DOMAINS.forEach((d, c) => expect(Math.abs(b.scalings[c]! - want[d]!)).toBeLessThan(6e-5));
      });
      got.segments.forEach((s) => s.meanScalings.forEach((v, c) => expect(Math.abs(v - demo.segment_means[s.name]![c]!)).toBeLessThan(6e-5)));
      expect(got.switches).toBe(fixtureSwitches());
      // the README's per-byte "top" column, line 1: the prose line alternates code/prose at the start
      expect(got.topString.slice(0, 6)).toBe('cpcppc');
    } finally {
      backend.dispose();
    }
  }, 120_000);

  it('reads PEFT\'s own figures into the eval output shape for compare --peft', async () => {
    const ref = await peftReference(RESULTS);
    expect(ref.heldout.math.loss).toBe(1.353632709172767);
    expect(ref.routingDemo.switches).toBe(fixtureSwitches());
    ref.routingDemo.segments.forEach((s) => s.meanScalings.forEach((v, c) => expect(Math.abs(v - demo.segment_means[s.name]![c]!)).toBeLessThan(6e-5)));
  });
});
