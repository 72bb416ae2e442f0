import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dequantize, isPacked } from '@xlora/core';
import { loadBaseModel } from './load-base-model.js';
import { loadWeightSet } from './weight-set.js';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { parseSafetensors } from './safetensors-file.js';
import { buildSafetensors, DEMO_MODEL, expectInputError, f32Tensor, json, PEFT_FIXTURES, type RawTensor } from './test-helpers.js';

const baseConfig = () => JSON.parse(readFileSync(`${PEFT_FIXTURES}/base/config.json`, 'utf8')) as Record<string, unknown>;
const baseTensors = (): Record<string, RawTensor> => {
  const file = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/model.safetensors`)), 'x');
  const out: Record<string, RawTensor> = {};
  for (const n of file.names()) {
    const t = file.getF32(n);
    out[n] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  }
  return out;
};

describe('loadBaseModel on fixtures', () => {
  it('loads the PEFT fixture base model with progress', async () => {
    const src = nodeFileSource(PEFT_FIXTURES);
    const progress: Array<[number, number, string]> = [];
    const base = await loadBaseModel(src, 'base', { onProgress: (l, t, f) => progress.push([l, t, f]) });
    expect(base.config.hiddenSize).toBe(64);
    expect(base.generationConfig?.bosTokenId).toBe(1);
    expect(base.weights.size).toBe(1 + 2 * 9 + 2);
    expect(base.weights.get('model.layers.1.mlp.down_proj.weight')?.shape).toEqual([64, 128]);
    expect(base.weights.get('lm_head.weight')).not.toBe(base.weights.get('model.embed_tokens.weight'));
    const size = readFileSync(`${PEFT_FIXTURES}/base/model.safetensors`).length;
    expect(progress.at(-1)).toEqual([size, size, `${PEFT_FIXTURES}/base/model.safetensors`]);
    expect(base.dir).toBe('base');
  });

  it('loads the demo base model', async () => {
    const base = await loadBaseModel(nodeFileSource(DEMO_MODEL), 'base');
    expect(base.config.vocabSize).toBe(256);
    expect(base.weights.get('model.embed_tokens.weight')?.shape).toEqual([256, 256]);
    expect(base.generationConfig?.eosTokenId).toBeNull();
  });
});

describe('loadBaseModel errors and variants', () => {
  const source = (config: Record<string, unknown>, tensors: Record<string, RawTensor>) =>
    mapFileSource(new Map([['m/config.json', json(config)], ['m/model.safetensors', buildSafetensors(tensors)]]));

  it('ties lm_head to the embedding when configured', async () => {
    const t = baseTensors();
    delete t['lm_head.weight'];
    const base = await loadBaseModel(source({ ...baseConfig(), tie_word_embeddings: true }, t), 'm');
    expect(base.weights.get('lm_head.weight')).toBe(base.weights.get('model.embed_tokens.weight'));
    expect(base.generationConfig).toBeUndefined();
  });

  it('reports a missing lm_head when not tied', async () => {
    const t = baseTensors();
    delete t['lm_head.weight'];
    await expectInputError(() => loadBaseModel(source(baseConfig(), t), 'm'), 'm/model.safetensors: missing tensor "lm_head.weight", which m/config.json requires (tie_word_embeddings is false, so the output head is not the embedding)');
  });

  it('reports a missing layer tensor', async () => {
    const t = baseTensors();
    delete t['model.layers.1.post_attention_layernorm.weight'];
    await expectInputError(() => loadBaseModel(source(baseConfig(), t), 'm'), 'm/model.safetensors: missing tensor "model.layers.1.post_attention_layernorm.weight", which m/config.json requires');
  });

  it('reports a wrong shape', async () => {
    const t = baseTensors();
    t['model.layers.1.mlp.up_proj.weight'] = f32Tensor([64, 128]);
    await expectInputError(
      () => loadBaseModel(source(baseConfig(), t), 'm'),
      'm/model.safetensors: tensor "model.layers.1.mlp.up_proj.weight" has shape [64, 128] but m/config.json implies [128, 64]',
    );
  });

  it('requires the biases a Qwen2 config implies', async () => {
    await expectInputError(
      () => loadBaseModel(source({ ...baseConfig(), architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' }, baseTensors()), 'm'),
      'm/model.safetensors: missing tensor "model.layers.0.self_attn.q_proj.bias", which m/config.json requires',
    );
  });

  it('rejects an unsupported architecture', async () => {
    await expectInputError(
      () => loadBaseModel(source({ ...baseConfig(), architectures: ['GPTNeoXForCausalLM'] }, baseTensors()), 'm'),
      'm/config.json: unsupported architecture GPTNeoXForCausalLM (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, MixtralForCausalLM)',
    );
  });

  it('explains missing weights and .bin checkpoints', async () => {
    const src = mapFileSource(new Map([['m/config.json', json(baseConfig())], ['m/pytorch_model.bin', new Uint8Array(4)]]));
    await expectInputError(
      () => loadBaseModel(src, 'm'),
      'm/model.safetensors: file not found, and no model.safetensors.index.json beside it (m/pytorch_model.bin is a PyTorch pickle, which is not supported: convert it to safetensors)',
    );
    await expectInputError(() => loadBaseModel(mapFileSource(new Map()), 'm'), 'm/config.json: file not found');
    const bad = mapFileSource(new Map([['m/config.json', new TextEncoder().encode('{"a":')]]));
    await expectInputError(() => loadBaseModel(bad, 'm'), /^m\/config\.json: not valid JSON \(/);
  });

  it('keeps F16 tensors packed, as the file stores them', async () => {
    const t = baseTensors();
    const emb = t['model.embed_tokens.weight'];
    t['model.embed_tokens.weight'] = { dtype: 'F16', shape: emb.shape, data: new Uint16Array(emb.shape[0] * emb.shape[1]).fill(0x3c00) };
    const base = await loadBaseModel(source(baseConfig(), t), 'm');
    const w = base.weights.get('model.embed_tokens.weight')!;
    expect(isPacked(w) && w.format).toBe('f16');
    expect(dequantize(w).data[5]).toBe(1);
  });

  it('rejects an integer base weight before reading any tensor', async () => {
    const t = baseTensors();
    t['model.norm.weight'] = { dtype: 'I32', shape: [64], data: new Int32Array(64) };
    await expectInputError(() => loadBaseModel(source(baseConfig(), t), 'm'), 'm/model.safetensors: tensor "model.norm.weight" has dtype I32; a float tensor (F32, F16, BF16 or F64) was expected');
  });
});

describe('sharded weights', () => {
  const t = baseTensors();
  const names = Object.keys(t);
  const half = Math.floor(names.length / 2);
  const shard = (ns: string[]) => buildSafetensors(Object.fromEntries(ns.map((n) => [n, t[n]])));
  const weightMap = Object.fromEntries(names.map((n, i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
  const files = () =>
    new Map<string, Uint8Array>([
      ['m/config.json', json(baseConfig())],
      ['m/model.safetensors.index.json', json({ metadata: {}, weight_map: weightMap })],
      ['m/model-00001-of-00002.safetensors', shard(names.slice(0, half))],
      ['m/model-00002-of-00002.safetensors', shard(names.slice(half))],
    ]);

  it('loads a model split over two shards', async () => {
    const progress: Array<[number, number, string, string | undefined]> = [];
    const base = await loadBaseModel(mapFileSource(files()), 'm', { onProgress: (l, total, f, tensor) => progress.push([l, total, f, tensor]) });
    expect(base.weights.size).toBe(names.length);
    // one report before and one after each tensor, the files one after the other, ending at the sum of their sizes
    const f = files();
    const size = f.get('m/model-00001-of-00002.safetensors')!.length + f.get('m/model-00002-of-00002.safetensors')!.length;
    expect(progress).toHaveLength(2 * names.length);
    expect(progress.at(-1)).toEqual([size, size, 'm/model-00002-of-00002.safetensors', names.at(-1)]);
    expect(progress.filter(([, , , n]) => n !== undefined).map(([, , , n]) => n).sort()).toEqual([...names].sort());
    expect(progress.findIndex(([, , file]) => file === 'm/model-00002-of-00002.safetensors')).toBe(2 * half);
    const set = await loadWeightSet(mapFileSource(files()), 'm');
    expect(set.fileOf(names[0]).file).toBe('m/model-00001-of-00002.safetensors');
    expect(set.files).toHaveLength(2);
  });

  it('reports a tensor the index lists but the shard lacks', async () => {
    const f = files();
    f.set('m/model-00002-of-00002.safetensors', shard(names.slice(half + 1)));
    await expectInputError(
      () => loadWeightSet(mapFileSource(f), 'm'),
      new RegExp(`^m/model-00002-of-00002\\.safetensors: no tensor named "${names[half].replace(/\./g, '\\.')}" .*; m/model\\.safetensors\\.index\\.json lists it in this shard$`),
    );
  });

  it('rejects a bad index and duplicated tensors', async () => {
    const f = files();
    f.set('m/model.safetensors.index.json', json({ weight_map: [] }));
    await expectInputError(() => loadWeightSet(mapFileSource(f), 'm'), 'm/model.safetensors.index.json: field "weight_map" must be a non-empty object mapping tensor names to shard file names');
    const g = files();
    g.set('m/model-00002-of-00002.safetensors', shard([...names.slice(half), names[0]]));
    await expectInputError(() => loadWeightSet(mapFileSource(g), 'm'), `m/model-00002-of-00002.safetensors: tensor "${names[0]}" is also in m/model-00001-of-00002.safetensors`);
    const h = files();
    h.delete('m/model-00002-of-00002.safetensors');
    await expectInputError(() => loadWeightSet(mapFileSource(h), 'm'), 'm/model-00002-of-00002.safetensors: file not found');
  });
});
