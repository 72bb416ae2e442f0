import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '@xlora/core';
import { writeSafetensors } from '@xlora/model';
import { randn } from './random-tensor.js';
import { modulePath, projectionShapes, type ModelPreset } from './presets.js';

const json = (o: unknown) => JSON.stringify(o, null, 2);

/**
 * Writes experts/e<i>/ (PEFT LoRA adapters, f32) and xlora/ (a PEFT X-LoRA checkpoint with a depth-1 classifier,
 * layerwise when the preset says so) under `dir`, exactly as PEFT lays them out. The checkpoint's expert paths
 * are relative to `dir` (the adapter root).
 */
export async function writeExpertsAndCheckpoint(p: ModelPreset, dir: string, next: () => number): Promise<void> {
  const shapes = projectionShapes(p);
  const adapters: Record<string, string> = {};
  for (let e = 0; e < p.experts; e++) {
    const weights: Record<string, HostTensor> = {};
    for (let i = 0; i < p.layers; i++) {
      for (const proj of p.targets) {
        const [out, inp] = shapes[proj];
        weights[`base_model.model.${modulePath(i, proj)}.lora_A.weight`] = randn(next, [p.rank, inp], 0.05); // [r, in]
        weights[`base_model.model.${modulePath(i, proj)}.lora_B.weight`] = randn(next, [out, p.rank], 0.05); // [out, r]
      }
    }
    const expertDir = join(dir, 'experts', `e${e}`);
    await mkdir(expertDir, { recursive: true });
    await writeFile(join(expertDir, 'adapter_model.safetensors'), writeSafetensors(weights));
    await writeFile(join(expertDir, 'adapter_config.json'), json({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: p.rank, lora_alpha: 2 * p.rank, lora_dropout: 0.0, bias: 'none',
      target_modules: [...p.targets], use_rslora: false, use_dora: false, fan_in_fan_out: false, base_model_name_or_path: 'base',
    }));
    adapters[String(e)] = `experts/e${e}`;
  }
  // PEFT's X-LoRA layers: one per targeted module, in module order (layer by layer, targets in layer order)
  const numLayers = p.layers * p.targets.length;
  const out = p.layerwise ? numLayers * p.experts : p.experts;
  await mkdir(join(dir, 'xlora'), { recursive: true });
  await writeFile(join(dir, 'xlora', 'adapter_model.safetensors'), writeSafetensors({
    'base_model.internal_xlora_classifier.layers.0.weight': randn(next, [out, p.hidden], 1.5 / Math.sqrt(p.hidden)),
    'base_model.internal_xlora_classifier.layers.0.bias': randn(next, [out], 0.1),
  }));
  await writeFile(join(dir, 'xlora', 'adapter_config.json'), json({
    adapters, auto_mapping: null, base_model_name_or_path: 'base', enable_softmax: true, enable_softmax_topk: false,
    global_scaling_weight: 1.0, hidden_size: p.hidden, inference_mode: true, layerwise_scalings: p.layerwise,
    peft_type: 'XLORA', peft_version: '0.18.1', revision: null, scaling_pass_value: 0.0, softmax_temperature: 1.0,
    task_type: 'CAUSAL_LM', top_k_lora: null, use_trainable_adapters: false, xlora_depth: 1, xlora_dropout_p: 0.2,
    xlora_size: 2048,
  }));
}
