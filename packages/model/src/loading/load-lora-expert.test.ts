import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLoraExpert } from './load-lora-expert.js';
import { parseLoraKey } from './lora-weight-keys.js';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { buildSafetensors, DEMO_MODEL, expectInputError, f32Tensor, json, PEFT_FIXTURES, type RawTensor } from './test-helpers.js';

const qvConfig = () => JSON.parse(readFileSync(`${PEFT_FIXTURES}/adapters/lora_qv_r4/adapter_config.json`, 'utf8')) as Record<string, unknown>;
const Q = 'base_model.model.model.layers.0.self_attn.q_proj';
const expert = (config: Record<string, unknown>, tensors: Record<string, RawTensor>) =>
  mapFileSource(new Map([['experts/x/adapter_config.json', json(config)], ['experts/x/adapter_model.safetensors', buildSafetensors(tensors)]]));

describe('loadLoraExpert on fixtures', () => {
  it('loads the three fixture experts with module paths, ranks and scalings', async () => {
    const src = nodeFileSource(PEFT_FIXTURES);
    const qv = await loadLoraExpert(src, 'adapters/lora_qv_r4', 'qv');
    expect([...qv.modules.keys()].sort()).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    const m = qv.modules.get('model.layers.0.self_attn.v_proj')!;
    expect(m.a.shape).toEqual([4, 64]);
    expect(m.b.shape).toEqual([32, 4]);
    expect(m.scaling).toBe(2);
    expect(qv.embeddings.size).toBe(0);
    const mlp = await loadLoraExpert(src, 'adapters/lora_mlp_r2', 'mlp');
    expect(mlp.modules.size).toBe(6);
    expect(mlp.modules.get('model.layers.1.mlp.down_proj')!.a.shape).toEqual([2, 128]);
    expect(mlp.modules.get('model.layers.1.mlp.down_proj')!.scaling).toBeCloseTo(6 / Math.SQRT2, 6);
    const qkvo = await loadLoraExpert(src, 'adapters/lora_qkvo_r8', 'qkvo');
    expect(qkvo.modules.size).toBe(8);
  });

  it('loads a demo expert (7 modules x 4 layers, scaling 2)', async () => {
    const code = await loadLoraExpert(nodeFileSource(DEMO_MODEL), 'experts/code', 'code');
    expect(code.modules.size).toBe(28);
    expect(code.modules.get('model.layers.3.mlp.up_proj')!.scaling).toBe(2);
  });
});

describe('loadLoraExpert variants', () => {
  it('accepts adapter-named keys, lora_B bias and embedding LoRA', async () => {
    const src = expert({ ...qvConfig(), target_modules: ['q_proj', 'embed_tokens'], lora_bias: true }, {
      [`${Q}.lora_A.default.weight`]: f32Tensor([4, 64]),
      [`${Q}.lora_B.default.weight`]: f32Tensor([64, 4]),
      [`${Q}.lora_B.default.bias`]: f32Tensor([64]),
      'base_model.model.model.embed_tokens.lora_embedding_A.default': f32Tensor([4, 128]),
      'base_model.model.model.embed_tokens.lora_embedding_B.default': f32Tensor([64, 4]),
    });
    const e = await loadLoraExpert(src, 'experts/x', 'x');
    expect(e.modules.get('model.layers.0.self_attn.q_proj')!.bias!.shape).toEqual([64]);
    expect(e.embeddings.get('model.embed_tokens')!.a.shape).toEqual([4, 128]);
    expect(e.embeddings.get('model.embed_tokens')!.b.shape).toEqual([64, 4]);
  });

  it('widens BF16 weights', async () => {
    const src = expert(qvConfig(), {
      [`${Q}.lora_A.weight`]: { dtype: 'BF16', shape: [4, 2], data: new Uint16Array(8).fill(0x3f80) },
      [`${Q}.lora_B.weight`]: { dtype: 'BF16', shape: [2, 4], data: new Uint16Array(8).fill(0xbf80) },
    });
    const m = (await loadLoraExpert(src, 'experts/x', 'x')).modules.get('model.layers.0.self_attn.q_proj')!;
    expect([...m.a.data]).toEqual(new Array(8).fill(1));
    expect([...m.b.data]).toEqual(new Array(8).fill(-1));
  });

  it('warns for fan_in_fan_out and keeps the weights as stored', async () => {
    const warnings: string[] = [];
    const src = expert({ ...qvConfig(), fan_in_fan_out: true }, { [`${Q}.lora_A.weight`]: f32Tensor([4, 64]), [`${Q}.lora_B.weight`]: f32Tensor([64, 4]) });
    const e = await loadLoraExpert(src, 'experts/x', 'x', { warn: (m) => warnings.push(m) });
    expect(e.modules.get('model.layers.0.self_attn.q_proj')!.a.shape).toEqual([4, 64]);
    expect(warnings).toEqual([
      'experts/x/adapter_config.json: fan_in_fan_out is true, but Llama-family projections are nn.Linear; PEFT resets it to false for them, and so do we (A/B are used as stored)',
    ]);
  });

  it('parses PEFT key forms', () => {
    expect(parseLoraKey(`${Q}.lora_A.weight`)).toEqual({ module: 'model.layers.0.self_attn.q_proj', part: 'A', adapter: null });
    expect(parseLoraKey(`${Q}.lora_B.default.weight`)).toEqual({ module: 'model.layers.0.self_attn.q_proj', part: 'B', adapter: 'default' });
    expect(parseLoraKey('base_model.model.lm_head.modules_to_save.default.weight')).toBeNull();
  });
});

describe('loadLoraExpert errors', () => {
  const ok = { [`${Q}.lora_A.weight`]: f32Tensor([4, 64]), [`${Q}.lora_B.weight`]: f32Tensor([64, 4]) };
  const cases: Array<[string, Record<string, unknown>, Record<string, RawTensor>, string]> = [
    ['DoRA', { ...qvConfig(), use_dora: true }, ok, 'DoRA experts are not supported by X-LoRA (PEFT raises at forward): experts/x/adapter_config.json field use_dora'],
    ['not LoRA', { ...qvConfig(), peft_type: 'IA3' }, ok, 'experts/x/adapter_config.json: field "peft_type" must be "LORA", got "IA3"'],
    ['A without B', qvConfig(), { [`${Q}.lora_A.weight`]: f32Tensor([4, 64]) }, 'experts/x/adapter_model.safetensors: module "model.layers.0.self_attn.q_proj" has lora_A but no lora_B'],
    ['B without A', qvConfig(), { [`${Q}.lora_B.weight`]: f32Tensor([64, 4]) }, 'experts/x/adapter_model.safetensors: module "model.layers.0.self_attn.q_proj" has lora_B but no lora_A'],
    [
      'rank mismatch',
      qvConfig(),
      { [`${Q}.lora_A.weight`]: f32Tensor([4, 64]), [`${Q}.lora_B.weight`]: f32Tensor([64, 8]) },
      'experts/x/adapter_model.safetensors: module "model.layers.0.self_attn.q_proj": lora_A has rank 4 (shape [4, 64]) but lora_B has rank 8 (shape [64, 8])',
    ],
    [
      'rank vs config',
      qvConfig(),
      { [`${Q}.lora_A.weight`]: f32Tensor([2, 64]), [`${Q}.lora_B.weight`]: f32Tensor([64, 2]) },
      'experts/x/adapter_model.safetensors: module "model.layers.0.self_attn.q_proj": lora_A has rank 2 but adapter_config.json implies r=4',
    ],
    [
      'modules_to_save',
      qvConfig(),
      { ...ok, 'base_model.model.lm_head.modules_to_save.weight': f32Tensor([2, 2]) },
      'experts/x/adapter_model.safetensors: unexpected tensor "base_model.model.lm_head.modules_to_save.weight" (only lora_A / lora_B / lora_embedding_A / lora_embedding_B weights are supported; modules_to_save and other PEFT extras are not)',
    ],
    [
      'two adapters in one file',
      qvConfig(),
      { [`${Q}.lora_A.a.weight`]: f32Tensor([4, 64]), [`${Q}.lora_B.a.weight`]: f32Tensor([64, 4]), [`${Q.replace('q_proj', 'v_proj')}.lora_A.b.weight`]: f32Tensor([4, 64]), [`${Q.replace('q_proj', 'v_proj')}.lora_B.b.weight`]: f32Tensor([32, 4]) },
      'experts/x/adapter_model.safetensors: holds weights of several adapters ("a", "b"); save each expert on its own',
    ],
    ['empty', qvConfig(), {}, 'experts/x/adapter_model.safetensors: no LoRA weights found (expected keys like "base_model.model.<module>.lora_A.weight")'],
  ];
  for (const [name, config, tensors, message] of cases) {
    it(`rejects ${name}`, () => expectInputError(() => loadLoraExpert(expert(config, tensors), 'experts/x', 'x'), message));
  }

  it('names the expert when files are missing', async () => {
    await expectInputError(() => loadLoraExpert(mapFileSource(new Map()), 'experts/code', 'code', { index: 1 }), 'expert 1 (path experts/code): adapter_config.json not found at experts/code/adapter_config.json');
    const noWeights = mapFileSource(new Map([['experts/code/adapter_config.json', json(qvConfig())]]));
    await expectInputError(() => loadLoraExpert(noWeights, 'experts/code', 'code'), 'expert "code" (path experts/code): adapter_model.safetensors not found at experts/code/adapter_model.safetensors');
    const bin = mapFileSource(new Map([['experts/code/adapter_config.json', json(qvConfig())], ['experts/code/adapter_model.bin', new Uint8Array(1)]]));
    await expectInputError(
      () => loadLoraExpert(bin, 'experts/code', 'code', { index: 1 }),
      'expert 1 (path experts/code): experts/code/adapter_model.bin is a PyTorch pickle, which is not supported: convert it to adapter_model.safetensors',
    );
  });
});
