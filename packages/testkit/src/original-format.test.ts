import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@xlora/backend-cpu';
import { loadXLoraModel, nodeFileSource, parseSafetensors, writeSafetensors } from '@xlora/model';
import { describe, expect, it } from 'vitest';
import { fixtureRoots } from './fixtures/fixture-roots.js';
import { checkXLoraForward } from './fixtures/forward-checks.js';
import { readTensorFile } from './fixtures/peft-fixture.js';

describe('original xlora checkpoint format', () => {
  it('a PEFT checkpoint re-saved as xlora_config.json + xlora_classifier.safetensors gives PEFT\'s outputs', async () => {
    const peft = fixtureRoots().peft;
    const dir = mkdtempSync(join(tmpdir(), 'xlora-original-'));
    const b1 = parseSafetensors(new Uint8Array(readFileSync(`${peft}/cases/b1_depth2_layerwise/xlora/adapter_model.safetensors`)), 'b1');
    const key = (k: string) => b1.getF32(`base_model.internal_xlora_classifier.${k}`);
    mkdirSync(join(dir, 'ckpt'), { recursive: true });
    writeFileSync(join(dir, 'ckpt', 'xlora_classifier.safetensors'), writeSafetensors({
      'inner.0.weight': key('layers.0.weight'), 'inner.0.bias': key('layers.0.bias'),
      'last.weight': key('layers.3.weight'), 'last.bias': key('layers.3.bias'),
    }));
    writeFileSync(join(dir, 'ckpt', 'xlora_config.json'), JSON.stringify({
      hidden_size: 64, base_model_id: 'base', adapters: ['qv', 'qkvo', 'mlp'], enable_softmax: true, layerwise_scalings: true,
      xlora_depth: 2, xlora_size: 48, enable_relu_and_dropout: true, use_bias: true, xlora_dropout_p: 0.2,
    }));
    for (const [name, src] of [['qv', 'lora_qv_r4'], ['qkvo', 'lora_qkvo_r8'], ['mlp', 'lora_mlp_r2']]) {
      cpSync(`${peft}/adapters/${src}`, join(dir, 'ckpt', name), { recursive: true });
    }
    const model = await loadXLoraModel({ source: nodeFileSource('/'), baseDir: `${peft}/base`, xloraDir: join(dir, 'ckpt'), backend: await createCpuBackend() });
    const source = nodeFileSource(peft);
    const failures = await checkXLoraForward(model, await readTensorFile(source, 'common.safetensors'),
      await readTensorFile(source, 'cases/b1_depth2_layerwise/expected.safetensors'));
    expect(failures).toEqual([]);
  });
});
