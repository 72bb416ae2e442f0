import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@xlora/backend-cpu';
import { parseLoraConfig } from '@xlora/config';
import { dequantize, f32, i32, type HostTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../loading/index.js';
import { loadXLoraModel } from './load-model.js';
import { XLoraModel } from './xlora-model.js';

const FIXTURES = fileURLToPath(new URL('../../../../test-data/peft-xlora', import.meta.url));

function seeded(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.4;
}

describe('LoRA experts on the embedding (PEFT XLoraEmbeddingLayer) and on lm_head', () => {
  it('is X-LoRA layer 0 and equals the base model with the merged table E + scale·(BA)ᵀ', async () => {
    const backend = await createCpuBackend();
    const fixture = await loadXLoraModel({ source: nodeFileSource(FIXTURES), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend });
    const { vocabSize: vocab, hiddenSize: hidden } = fixture.config;
    const r = 3, alpha = 6;
    const rand = seeded(7);
    const a = f32([r, vocab], Array.from({ length: r * vocab }, rand));
    const b = f32([hidden, r], Array.from({ length: hidden * r }, rand));
    const embExpert = {
      name: 'emb', dir: 'emb', modules: new Map(), embeddings: new Map([['model.embed_tokens', { a, b }]]),
      config: parseLoraConfig({ peft_type: 'LORA', r, lora_alpha: alpha, target_modules: ['embed_tokens'] }, 'emb/adapter_config.json'),
    };
    const parts = { ...fixture.parts, experts: [embExpert, fixture.parts.experts[1]], xloraConfig: { ...fixture.parts.xloraConfig, adapters: { 0: 'emb', 1: 'qkvo' } } };
    // the a_default classifier has 3 outputs: keep 2 rows for 2 experts
    const w = fixture.parts.classifierWeights.get('layers.0.weight')!, bias = fixture.parts.classifierWeights.get('layers.0.bias')!;
    parts.classifierWeights = new Map<string, HostTensor>([['layers.0.weight', f32([2, hidden], w.data.slice(0, 2 * hidden) as Float32Array)], ['layers.0.bias', f32([2], bias.data.slice(0, 2) as Float32Array)]]);
    const model = new XLoraModel(parts, backend);
    expect(model.wrappedModules[0]).toEqual({ modulePath: 'model.embed_tokens', layer: 0 });
    expect(model.numLayers).toBe(1 + 8);

    const merged = new Map(fixture.parts.baseWeights);
    const table = fixture.parts.baseWeights.get('model.embed_tokens.weight')!;
    const e2 = f32([vocab, hidden], Float32Array.from(dequantize(table).data));
    for (let v = 0; v < vocab; v++) for (let h = 0; h < hidden; h++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += b.data[h * r + k] * a.data[k * vocab + v];
      e2.data[v * hidden + h] += (alpha / r) * d;
    }
    merged.set('model.embed_tokens.weight', e2);
    const reference = new XLoraModel({ ...parts, baseWeights: merged }, backend);
    const ids = i32([2, 5], [3, 17, 99, 5, 64, 0, 1, 2, 127, 40]);
    const got = await model.forward(ids, { mode: { expert: 0 } });
    const want = await reference.forward(ids, { mode: 'base' });
    const maxDiff = Math.max(...got.logits.data.map((x, i) => Math.abs(x - want.logits.data[i])));
    expect(maxDiff).toBeLessThan(1e-4);
    const base = await model.forward(ids, { mode: 'base' });
    expect(Math.max(...got.logits.data.map((x, i) => Math.abs(x - base.logits.data[i])))).toBeGreaterThan(1e-2);
    // X-LoRA mode runs with the embedding as layer 0 and the cache path equals a recompute
    const gen = await model.generate(ids, { maxNewTokens: 3, eosTokenIds: [], returnStepLogits: true });
    const full = await model.forward(i32([2, 7], [...gen.tokens[0].slice(0, 7), ...gen.tokens[1].slice(0, 7)]));
    const v = full.logits.shape[2];
    const last = full.logits.data.subarray(6 * v, 7 * v);
    const step = gen.stepLogits![2].data.subarray(0, v);
    expect(Math.max(...Array.from(step, (x, i) => Math.abs(x - last[i])))).toBeLessThan(1e-4);
  });

  it('lm_head as the last X-LoRA layer equals the merged head, and the cached path (last-position logits) equals a recompute', async () => {
    const backend = await createCpuBackend();
    const fixture = await loadXLoraModel({ source: nodeFileSource(FIXTURES), baseDir: 'base', xloraDir: 'cases/b1_depth2_layerwise/xlora', adapterRoot: '', backend });
    const { vocabSize: vocab, hiddenSize: hidden } = fixture.config;
    const r = 2, alpha = 4;
    const rand = seeded(11);
    const a = f32([r, hidden], Array.from({ length: r * hidden }, rand));
    const b = f32([vocab, r], Array.from({ length: vocab * r }, rand));
    const headExpert = {
      name: 'head', dir: 'head', modules: new Map([['lm_head', { a, b }]]),
      config: parseLoraConfig({ peft_type: 'LORA', r, lora_alpha: alpha, target_modules: ['lm_head'] }, 'head/adapter_config.json'),
    };
    const experts = [fixture.parts.experts[0], fixture.parts.experts[1], headExpert];
    // layerwise classifier for L = 8 (q,k,v,o x 2 blocks) + 1 (lm_head) layers x 3 experts
    const layers = 9;
    const w0 = fixture.parts.classifierWeights.get('layers.0.weight')!;
    const w3 = f32([layers * 3, 48], Array.from({ length: layers * 3 * 48 }, rand));
    const classifierWeights = new Map<string, HostTensor>([
      ['layers.0.weight', w0], ['layers.0.bias', fixture.parts.classifierWeights.get('layers.0.bias')!],
      ['layers.3.weight', w3], ['layers.3.bias', f32([layers * 3])],
    ]);
    const model = new XLoraModel({ ...fixture.parts, experts, classifierWeights }, backend);
    expect(model.wrappedModules.at(-1)).toEqual({ modulePath: 'lm_head', layer: 8 });

    const head = fixture.parts.baseWeights.get('lm_head.weight')!;
    const merged = f32([vocab, hidden], Float32Array.from(dequantize(head).data));
    for (let v = 0; v < vocab; v++) for (let h = 0; h < hidden; h++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += b.data[v * r + k] * a.data[k * hidden + h];
      merged.data[v * hidden + h] += (alpha / r) * d;
    }
    const reference = new XLoraModel({ ...fixture.parts, experts, classifierWeights, baseWeights: new Map([...fixture.parts.baseWeights, ['lm_head.weight', merged]]) }, backend);
    const ids = i32([1, 6], [5, 9, 33, 2, 71, 8]);
    const got = await model.forward(ids, { mode: { expert: 2 } });
    const want = await reference.forward(ids, { mode: 'base' });
    expect(Math.max(...got.logits.data.map((x, i) => Math.abs(x - want.logits.data[i])))).toBeLessThan(1e-4);
    const gen = await model.generate(ids, { maxNewTokens: 3, eosTokenIds: [], returnStepLogits: true });
    const full = await model.forward(i32([1, 8], gen.tokens[0].slice(0, 8)));
    const last = full.logits.data.subarray(7 * vocab, 8 * vocab);
    expect(Math.max(...Array.from(gen.stepLogits![2].data, (x, i) => Math.abs(x - last[i])))).toBeLessThan(1e-4);
  });
});
