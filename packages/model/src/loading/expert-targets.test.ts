import { readFileSync } from 'node:fs';
import { createCpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { loadXLoraModel } from '../xlora/load-model.js';
import { loadLoraExpert } from './load-lora-expert.js';
import { parseSafetensors } from './safetensors-file.js';
import { buildSafetensors, expectInputError, filesUnder, json, PEFT_FIXTURES, sourceOf, type RawTensor } from './test-helpers.js';

const MLP = 'adapters/lora_mlp_r2';
const mlpConfig = () => JSON.parse(readFileSync(`${PEFT_FIXTURES}/${MLP}/adapter_config.json`, 'utf8')) as Record<string, unknown>;

/** The fixture tree with the MLP expert's config and weights replaced. */
function fixtureWith(config: Record<string, unknown>, edit: (tensors: Record<string, RawTensor>) => void) {
  const files = filesUnder(PEFT_FIXTURES);
  const stored = parseSafetensors(files.get(`${MLP}/adapter_model.safetensors`)!, 'x');
  const tensors: Record<string, RawTensor> = {};
  for (const n of stored.names()) {
    const t = stored.getF32(n);
    tensors[n] = { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data) };
  }
  edit(tensors);
  files.set(`${MLP}/adapter_config.json`, json(config));
  files.set(`${MLP}/adapter_model.safetensors`, buildSafetensors(tensors));
  return sourceOf(files);
}
const DOWN0 = 'base_model.model.model.layers.0.mlp.down_proj';

describe('an expert\'s target_modules / layers_to_transform decide what PEFT wraps', () => {
  it('weights for a module target_modules does not select are an error (PEFT: "Got unexpected keys")', async () => {
    const src = fixtureWith({ ...mlpConfig(), target_modules: ['up_proj', 'gate_proj'] }, () => {});
    await expectInputError(
      () => loadLoraExpert(src, MLP, 'mlp'),
      `${MLP}/adapter_model.safetensors: tensor "${DOWN0}.lora_A.weight" is for module "model.layers.0.mlp.down_proj", which ${MLP}/adapter_config.json does not target ` +
        '(target_modules ["up_proj","gate_proj"]); PEFT does not wrap that module and rejects the file ("Got unexpected keys")',
    );
  });

  it('so are weights in a layer layers_to_transform leaves out', async () => {
    const src = fixtureWith({ ...mlpConfig(), layers_to_transform: [1] }, () => {});
    await expectInputError(
      () => loadLoraExpert(src, MLP, 'mlp'),
      /^adapters\/lora_mlp_r2\/adapter_model\.safetensors: tensor "base_model\.model\.model\.layers\.0\.mlp\.down_proj\.lora_A\.weight" is for module "model\.layers\.0\.mlp\.down_proj", which adapters\/lora_mlp_r2\/adapter_config\.json does not target \(target_modules \[.*\], layers_to_transform \[1\]\)/,
    );
  });

  it('layers_to_transform keeps only the listed layers, and the experts load', async () => {
    const src = fixtureWith({ ...mlpConfig(), layers_to_transform: [1] }, (t) => {
      for (const k of Object.keys(t)) if (k.includes('.layers.0.')) delete t[k];
    });
    const e = await loadLoraExpert(src, MLP, 'mlp');
    expect([...e.modules.keys()].sort()).toEqual(['model.layers.1.mlp.down_proj', 'model.layers.1.mlp.gate_proj', 'model.layers.1.mlp.up_proj']);
  });

  it('a targeted module without weights is still an X-LoRA layer (L = 14) and adds nothing: logits equal a zero lora_B', async () => {
    const backend = await createCpuBackend();
    const load = (src: ReturnType<typeof sourceOf>) =>
      loadXLoraModel({ source: src, baseDir: 'base', xloraDir: 'cases/b1_depth2_layerwise/xlora', adapterRoot: '', backend });
    const missing = await load(fixtureWith(mlpConfig(), (t) => {
      delete t[`${DOWN0}.lora_A.weight`];
      delete t[`${DOWN0}.lora_B.weight`];
    }));
    const zeroB = await load(fixtureWith(mlpConfig(), (t) => {
      (t[`${DOWN0}.lora_B.weight`].data as Float32Array).fill(0);
    }));
    const intact = await load(fixtureWith(mlpConfig(), () => {}));
    expect(missing.numLayers).toBe(14);
    expect(missing.wrappedModules.map((m) => m.modulePath)).toContain('model.layers.0.mlp.down_proj');
    const ids = i32([1, 6], [8, 71, 116, 26, 3, 9]);
    const got = (await missing.forward(ids)).logits.data;
    const want = (await zeroB.forward(ids)).logits.data;
    const full = (await intact.forward(ids)).logits.data;
    let diff = 0;
    let vsIntact = 0;
    for (let i = 0; i < got.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
      vsIntact = Math.max(vsIntact, Math.abs(got[i] - full[i]));
    }
    expect(diff).toBeLessThan(1e-5);
    expect(vsIntact).toBeGreaterThan(1e-4);
  });
});
