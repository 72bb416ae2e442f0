import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '@xlora/core';
import { writeSafetensors } from '@xlora/model';
import { writeExpertsAndCheckpoint } from './generate-experts.js';
import { llamaConfigJson } from './llama-config-json.js';
import { normalSampler } from './random-stream.js';
import { randn } from './random-tensor.js';
import { modulePath, projectionShapes, type ModelPreset } from './presets.js';

/**
 * Writes base/ (config.json, model.safetensors in F32), experts/e<i>/ (PEFT LoRA adapters) and xlora/ (PEFT X-LoRA
 * checkpoint) under `dir`, exactly as transformers and PEFT lay them out.
 */
export async function writeBenchmarkModel(p: ModelPreset, dir: string, seed = 7): Promise<void> {
  const next = normalSampler(seed);
  const base: Record<string, HostTensor> = {
    'model.embed_tokens.weight': randn(next, [p.vocab, p.hidden], 0.05),
    'model.norm.weight': randn(next, [p.hidden], 0.05, 1),
    'lm_head.weight': randn(next, [p.vocab, p.hidden], 0.05),
  };
  const shapes = projectionShapes(p);
  for (let i = 0; i < p.layers; i++) {
    base[`model.layers.${i}.input_layernorm.weight`] = randn(next, [p.hidden], 0.05, 1);
    base[`model.layers.${i}.post_attention_layernorm.weight`] = randn(next, [p.hidden], 0.05, 1);
    for (const [proj, shape] of Object.entries(shapes)) base[`${modulePath(i, proj)}.weight`] = randn(next, shape, 0.04);
  }
  await mkdir(join(dir, 'base'), { recursive: true });
  await writeFile(join(dir, 'base', 'model.safetensors'), writeSafetensors(base));
  await writeFile(join(dir, 'base', 'config.json'), JSON.stringify(llamaConfigJson(p, 'float32'), null, 2));
  await writeExpertsAndCheckpoint(p, dir, next);
}
