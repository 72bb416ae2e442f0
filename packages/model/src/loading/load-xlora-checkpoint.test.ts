import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FileSource } from './file-source.js';
import { loadXLoraCheckpoint } from './load-xlora-checkpoint.js';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { parseSafetensors } from './safetensors-file.js';
import { buildSafetensors, DEMO_MODEL, expectInputError, f32Tensor, filesUnder, json, PEFT_FIXTURES, type RawTensor } from './test-helpers.js';

interface ManifestCase {
  name: string;
  dir: string;
  classifier_keys: Record<string, number[]>;
  n_classes: number;
}
const manifest = JSON.parse(readFileSync(`${PEFT_FIXTURES}/manifest.json`, 'utf8')) as { cases: ManifestCase[] };
const quiet = { warn: () => {} };

describe('loadXLoraCheckpoint on the PEFT fixtures', () => {
  const src = nodeFileSource(PEFT_FIXTURES);
  it('has 6 cases', () => expect(manifest.cases).toHaveLength(6));
  for (const c of manifest.cases) {
    it(`loads ${c.name}`, async () => {
      const ckpt = await loadXLoraCheckpoint(src, `cases/${c.name}/xlora`, quiet);
      expect(ckpt.format).toBe('peft');
      expect(ckpt.configFile).toBe(`${PEFT_FIXTURES}/cases/${c.name}/xlora/adapter_config.json`);
      expect(ckpt.classifierFile).toBe(`${PEFT_FIXTURES}/cases/${c.name}/xlora/adapter_model.safetensors`);
      expect(Object.fromEntries([...ckpt.classifier].map(([k, t]) => [k, t.shape]))).toEqual(c.classifier_keys);
      expect(ckpt.experts.map((e) => e.name)).toEqual(['0', '1', '2']);
      expect(ckpt.experts.map((e) => e.dir)).toEqual(['adapters/lora_qv_r4', 'adapters/lora_qkvo_r8', 'adapters/lora_mlp_r2']);
      expect(ckpt.experts.map((e) => e.modules.size)).toEqual([4, 8, 6]);
      expect(ckpt.adapterNames).toEqual(['0', '1', '2']);
    });
  }

  it('resolves expert paths against adapterRoot, like PEFT against the working directory', async () => {
    const fromRepo = nodeFileSource(`${PEFT_FIXTURES}/../..`);
    const ckpt = await loadXLoraCheckpoint(fromRepo, 'test-data/peft-xlora/cases/a_default/xlora', { adapterRoot: 'test-data/peft-xlora', ...quiet });
    expect(ckpt.experts[2].dir).toBe('test-data/peft-xlora/adapters/lora_mlp_r2');
  });

  it('replaces paths with adapterOverrides', async () => {
    const ckpt = await loadXLoraCheckpoint(src, 'cases/a_default/xlora', { adapterOverrides: { '1': 'adapters/lora_mlp_r2' }, ...quiet });
    expect(ckpt.experts.map((e) => e.dir)).toEqual(['adapters/lora_qv_r4', 'adapters/lora_mlp_r2', 'adapters/lora_mlp_r2']);
    await expectInputError(
      () => loadXLoraCheckpoint(src, 'cases/a_default/xlora', { adapterOverrides: { code: 'x' }, ...quiet }),
      `adapterOverrides: unknown adapter "code" (${PEFT_FIXTURES}/cases/a_default/xlora/adapter_config.json has "0", "1", "2")`,
    );
  });

  it('names the adapter key, configured path and resolved path of a missing expert', async () => {
    await expectInputError(
      () => loadXLoraCheckpoint(src, 'cases/a_default/xlora', { adapterRoot: 'cases', ...quiet }),
      `adapter "0": expert folder not found: path "adapters/lora_qv_r4" (from ${PEFT_FIXTURES}/cases/a_default/xlora/adapter_config.json) resolves to ` +
        `${PEFT_FIXTURES}/cases/adapters/lora_qv_r4, which has no adapter_config.json (PEFT resolves adapter paths against the working directory: set adapterRoot, or replace the path with adapterOverrides)`,
    );
  });
});

describe('loadXLoraCheckpoint on the demo model', () => {
  it('loads the layerwise classifier and the three experts', async () => {
    const ckpt = await loadXLoraCheckpoint(nodeFileSource(DEMO_MODEL), 'xlora', quiet);
    expect(ckpt.config.layerwiseScalings).toBe(true);
    expect(ckpt.classifier.get('layers.0.weight')!.shape).toEqual([84, 256]);
    expect(ckpt.classifier.get('layers.0.bias')!.shape).toEqual([84]);
    expect(ckpt.experts.map((e) => e.dir)).toEqual(['experts/prose', 'experts/code', 'experts/math']);
  });
});

describe('loadXLoraCheckpoint errors', () => {
  const files = () => filesUnder(PEFT_FIXTURES);

  it('rejects a folder without a checkpoint', async () => {
    await expectInputError(
      () => loadXLoraCheckpoint(mapFileSource(files()), 'base', quiet),
      'base: not an X-LoRA checkpoint: neither adapter_config.json (PEFT) nor xlora_config.json (original xlora) found',
    );
  });

  it('rejects named adapters (PEFT quirk Q2) with the file and field', async () => {
    const f = files();
    const cfg = JSON.parse(new TextDecoder().decode(f.get('cases/a_default/xlora/adapter_config.json')!));
    cfg.adapters = { math: 'adapters/lora_qv_r4' };
    f.set('cases/a_default/xlora/adapter_config.json', json(cfg));
    await expectInputError(
      () => loadXLoraCheckpoint(mapFileSource(f), 'cases/a_default/xlora', quiet),
      'cases/a_default/xlora/adapter_config.json: field "adapters" must have the keys "0".."0" in order (PEFT loads expert i under the name "i" and fails with a KeyError at the first forward otherwise), got "math"',
    );
  });

  it('reports a missing classifier file and a DoRA expert', async () => {
    const f = files();
    f.delete('cases/a_default/xlora/adapter_model.safetensors');
    await expectInputError(
      () => loadXLoraCheckpoint(mapFileSource(f), 'cases/a_default/xlora', quiet),
      'cases/a_default/xlora/adapter_model.safetensors: file not found (the X-LoRA classifier weights)',
    );
    const g = files();
    const cfg = JSON.parse(new TextDecoder().decode(g.get('adapters/lora_qkvo_r8/adapter_config.json')!));
    g.set('adapters/lora_qkvo_r8/adapter_config.json', json({ ...cfg, use_dora: true }));
    await expectInputError(
      () => loadXLoraCheckpoint(mapFileSource(g), 'cases/a_default/xlora', quiet),
      'DoRA experts are not supported by X-LoRA (PEFT raises at forward): adapters/lora_qkvo_r8/adapter_config.json field use_dora',
    );
  });

  it('warns about non-classifier tensors in the classifier file', async () => {
    const f = files();
    f.set('cases/a_default/xlora/adapter_model.safetensors', buildSafetensors({
      'base_model.internal_xlora_classifier.layers.0.weight': f32Tensor([3, 64]),
      'base_model.internal_xlora_classifier.layers.0.bias': f32Tensor([3]),
      'something.else': f32Tensor([1]),
    }));
    const warnings: string[] = [];
    const ckpt = await loadXLoraCheckpoint(mapFileSource(f), 'cases/a_default/xlora', { warn: (m) => warnings.push(m) });
    expect([...ckpt.classifier.keys()]).toEqual(['layers.0.weight', 'layers.0.bias']);
    expect(warnings).toEqual([
      'cases/a_default/xlora/adapter_model.safetensors: ignored 1 tensor(s) that are not X-LoRA classifier weights, e.g. "something.else"',
    ]);
  });
});

describe('loadXLoraCheckpoint, original xlora format', () => {
  // b1's PEFT classifier (layers.0, layers.3) re-saved as the original package would: inner.0 / inner.3 / last.
  const b1 = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/cases/b1_depth2_layerwise/xlora/adapter_model.safetensors`)), 'b1');
  const raw = (k: string): RawTensor => {
    const t = b1.getF32(`base_model.internal_xlora_classifier.${k}`);
    return { dtype: 'F32', shape: [...t.shape], data: t.data };
  };
  const origConfig = {
    hidden_size: 64,
    base_model_id: 'base',
    adapters: ['qv', 'qkvo', 'mlp'],
    enable_softmax: true,
    layerwise_scalings: true,
    xlora_depth: 2,
    xlora_size: 48,
    enable_relu_and_dropout: true,
    use_bias: true,
    xlora_dropout_p: 0.2,
  };
  const build = (config: Record<string, unknown>, tensors: Record<string, RawTensor>) => {
    const f = new Map<string, Uint8Array>();
    f.set('ckpt/xlora_config.json', json(config));
    f.set('ckpt/xlora_classifier.safetensors', buildSafetensors(tensors));
    for (const [name, dir] of [['qv', 'lora_qv_r4'], ['qkvo', 'lora_qkvo_r8'], ['mlp', 'lora_mlp_r2']]) {
      for (const [k, v] of filesUnder(`${PEFT_FIXTURES}/adapters/${dir}`)) f.set(`ckpt/${name}/${k}`, v);
    }
    return mapFileSource(f);
  };
  const tensors = { 'inner.0.weight': raw('layers.0.weight'), 'inner.0.bias': raw('layers.0.bias'), 'last.weight': raw('layers.3.weight'), 'last.bias': raw('layers.3.bias') };

  it('maps inner/last to PEFT Sequential keys and finds experts in <dir>/<name>', async () => {
    const ckpt = await loadXLoraCheckpoint(build(origConfig, tensors), 'ckpt', quiet);
    expect(ckpt.format).toBe('original');
    expect(ckpt.adapterNames).toEqual(['qv', 'qkvo', 'mlp']);
    expect(ckpt.experts.map((e) => [e.name, e.dir])).toEqual([['qv', 'ckpt/qv'], ['qkvo', 'ckpt/qkvo'], ['mlp', 'ckpt/mlp']]);
    expect(ckpt.config).toMatchObject({ xloraDepth: 2, adapters: { '0': 'qv', '1': 'qkvo', '2': 'mlp' }, baseModelNameOrPath: 'base' });
    expect([...ckpt.classifier.keys()].sort()).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.3.bias', 'layers.3.weight']);
    expect(ckpt.classifier.get('layers.3.weight')!.data).toEqual(b1.getF32('base_model.internal_xlora_classifier.layers.3.weight').data);
  });

  it('uses indices 0, 2 without dropout and zero biases with use_bias false', async () => {
    const noBias = { 'inner.0.weight': raw('layers.0.weight'), 'last.weight': raw('layers.3.weight') };
    const ckpt = await loadXLoraCheckpoint(build({ ...origConfig, xlora_dropout_p: 0, use_bias: false }, noBias), 'ckpt', quiet);
    expect([...ckpt.classifier.keys()].sort()).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.2.bias', 'layers.2.weight']);
    expect([...ckpt.classifier.get('layers.2.bias')!.data]).toEqual(new Array(42).fill(0));
  });

  it('rejects what PEFT semantics cannot express and malformed classifiers', async () => {
    await expectInputError(
      () => loadXLoraCheckpoint(build({ ...origConfig, enable_relu_and_dropout: false }, tensors), 'ckpt', quiet),
      'ckpt/xlora_config.json: field "enable_relu_and_dropout" is false with xlora_depth 2: that classifier has no ReLU between its Linear layers, which PEFT\'s X-LoRA classifier (and this library) cannot express',
    );
    await expectInputError(
      () => loadXLoraCheckpoint(build({ ...origConfig, xlora_depth: 3 }, tensors), 'ckpt', quiet),
      'ckpt/xlora_classifier.safetensors: xlora_depth 3 needs 2 inner Linear layer(s), found 1 (inner.0)',
    );
    const { 'inner.0.bias': _drop, ...noInnerBias } = tensors;
    await expectInputError(
      () => loadXLoraCheckpoint(build(origConfig, noInnerBias), 'ckpt', quiet),
      'ckpt/xlora_classifier.safetensors: no tensor named "inner.0.bias" although use_bias is true',
    );
    await expectInputError(
      () => loadXLoraCheckpoint(build(origConfig, { ...tensors, 'score.weight': f32Tensor([1]) }), 'ckpt', quiet),
      'ckpt/xlora_classifier.safetensors: unexpected tensor "score.weight" (an original X-LoRA classifier has inner.<i>.weight/bias and last.weight/bias)',
    );
  });
});

describe('loadXLoraCheckpoint bounds', () => {
  it('reads an expert folder listed under many adapter keys once', async () => {
    const files = filesUnder(PEFT_FIXTURES);
    const cfg = JSON.parse(new TextDecoder().decode(files.get('cases/a_default/xlora/adapter_config.json')!)) as Record<string, unknown>;
    cfg.adapters = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [String(i), 'adapters/lora_qv_r4']));
    files.set('cases/a_default/xlora/adapter_config.json', json(cfg));
    const inner = mapFileSource(files);
    const reads: string[] = [];
    const src: FileSource = { ...inner, read: (p, onProgress) => {
      reads.push(p);
      return inner.read(p, onProgress);
    }, open: (p) => {
      reads.push(`${p} (opened for range reads)`);
      return inner.open!(p);
    } };
    const ckpt = await loadXLoraCheckpoint(src, 'cases/a_default/xlora', quiet);
    expect(ckpt.experts).toHaveLength(2000);
    expect(ckpt.experts[1999].name).toBe('1999');
    expect(ckpt.experts[1999].modules).toBe(ckpt.experts[0].modules);
    expect(reads.filter((p) => p.startsWith('adapters/'))).toEqual(['adapters/lora_qv_r4/adapter_config.json', 'adapters/lora_qv_r4/adapter_model.safetensors (opened for range reads)']);
  });
});
