import { readFileSync } from 'node:fs';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, i32 } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { loadXLoraModel } from '../xlora/load-model.js';
import { loadBaseModel } from './load-base-model.js';
import { buildSafetensors, expectInputError, filesUnder, json, PEFT_FIXTURES, sourceOf } from './test-helpers.js';

/** The PEFT fixture (whose stored lm_head differs from its embedding) with config.json fields replaced. */
function fixtureWith(config: Record<string, unknown>, replace: Record<string, Uint8Array> = {}) {
  const files = filesUnder(PEFT_FIXTURES);
  const base = JSON.parse(readFileSync(`${PEFT_FIXTURES}/base/config.json`, 'utf8')) as Record<string, unknown>;
  files.set('base/config.json', json({ ...base, ...config }));
  for (const [path, bytes] of Object.entries(replace)) files.set(path, bytes);
  return sourceOf(files);
}

describe('tie_word_embeddings (transformers ties lm_head to embed_tokens, overriding a stored lm_head)', () => {
  it('logits are hidden · embed_tokensᵀ, not the stored lm_head', async () => {
    const src = fixtureWith({ tie_word_embeddings: true });
    const base = await loadBaseModel(src, 'base');
    const embed = base.weights.get('model.embed_tokens.weight')!;
    expect(base.weights.get('lm_head.weight')).toBe(embed);

    const model = await loadXLoraModel({ source: src, baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend: await createCpuBackend() });
    const ids = i32([1, 5], [8, 71, 116, 26, 3]);
    const { logits, hidden } = await model.forward(ids, { mode: 'base' });
    const [V, H] = embed.shape;
    expect(logits.shape).toEqual([1, 5, V]);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let s = 0; s < 5; s++) {
      for (let v = 0; v < V; v++) {
        let want = 0;
        for (let h = 0; h < H; h++) want += hidden.data[s * H + h] * dequantize(embed).data[v * H + h];
        maxDiff = Math.max(maxDiff, Math.abs(logits.data[s * V + v] - want));
        maxAbs = Math.max(maxAbs, Math.abs(want));
      }
    }
    expect(maxAbs).toBeGreaterThan(0.1);
    expect(maxDiff).toBeLessThan(1e-4);

    // the stored head would have given other numbers: the tie is what changed them
    const stored = dequantize((await loadBaseModel(fixtureWith({}), 'base')).weights.get('lm_head.weight')!);
    let storedDiff = 0;
    for (let v = 0; v < V; v++) {
      let y = 0;
      for (let h = 0; h < H; h++) y += hidden.data[h] * stored.data[v * H + h];
      storedDiff = Math.max(storedDiff, Math.abs(logits.data[v] - y));
    }
    expect(storedDiff).toBeGreaterThan(0.01);
  });

  it('without the tie a missing lm_head.weight is an error naming the field', async () => {
    const stored = await loadBaseModel(fixtureWith({}), 'base');
    const tensors = Object.fromEntries([...stored.weights].filter(([n]) => n !== 'lm_head.weight').map(([n, t]) => [n, { dtype: 'F32', shape: [...t.shape], data: dequantize(t).data }]));
    const src = fixtureWith({ tie_word_embeddings: false }, { 'base/model.safetensors': buildSafetensors(tensors) });
    await expectInputError(
      () => loadBaseModel(src, 'base'),
      'base/model.safetensors: missing tensor "lm_head.weight", which base/config.json requires (tie_word_embeddings is false, so the output head is not the embedding)',
    );
  });
});
