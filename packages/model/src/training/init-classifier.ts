import { f32, InputError, type HostTensor } from '@xlora/core';
import { parseXLoraConfig, serializeXLoraConfig, type XLoraConfig } from '@xlora/config';
import { classifierLayout, classifierWeightNames, type ClassifierLayout } from '@xlora/classifier';
import { architectureOf } from '../architectures/index.js';
import { writeSafetensors } from '../io/safetensors-writer.js';
import { prepareExpertWeights } from '../xlora/expert-weights.js';
import type { XLoraModelParts } from '../xlora/model-parts.js';
import { mulberry32 } from './seeded-random.js';
import { PEFT_CLASSIFIER_PREFIX } from './trainable-parameters.js';

/**
 * The classifier's initial tensors as PEFT creates them: each nn.Linear(in, out) with torch's default
 * reset_parameters, i.e. weight ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in) and bias ~ U(−1/√in, 1/√in).
 * The distribution is torch's; the draws are not (torch's generator is not reproduced): `seed` picks them.
 */
export function initialClassifierWeights(layout: ClassifierLayout, seed: number): Map<string, HostTensor<'f32'>> {
  const rand = mulberry32(seed);
  const uniform = (n: number, bound: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * bound;
    return out;
  };
  const weights = new Map<string, HostTensor<'f32'>>();
  for (const lin of layout.linears) {
    const bound = 1 / Math.sqrt(lin.inFeatures);
    const names = classifierWeightNames(lin.index);
    weights.set(names.weight, f32([lin.outFeatures, lin.inFeatures], uniform(lin.outFeatures * lin.inFeatures, bound))); // [out, in]
    weights.set(names.bias, f32([lin.outFeatures], uniform(lin.outFeatures, bound))); // [out]
  }
  return weights;
}

/** X-LoRA layers L of a base model and its experts (the modules some expert wraps), as the checkpoint loader plans them. */
export function xloraLayerCount(parts: Omit<XLoraModelParts, 'classifierWeights'>): number {
  // a non-layerwise classifier's shapes do not depend on L, so one can be planned before L is known
  const xc: XLoraConfig = { ...parts.xloraConfig, layerwiseScalings: false };
  const probe = classifierLayout(xc, parts.baseConfig.hiddenSize, 1, parts.experts.length);
  return prepareExpertWeights({ ...parts, xloraConfig: xc, classifierWeights: initialClassifierWeights(probe, 0) }, architectureOf(parts.baseConfig), 'f32').layout.numLayers;
}

/** `xlora init`'s settings, as adapter_config.json spells them (PEFT's XLoraConfig fields); unset ones take PEFT's defaults. */
export type XLoraInitFields = Record<string, unknown>;

/**
 * A new PEFT-format X-LoRA checkpoint: adapter_config.json (PEFT's XLoraConfig fields, inference_mode true as
 * save_pretrained writes it) and adapter_model.safetensors (`base_model.internal_xlora_classifier.layers.<i>.*`,
 * F32, {"format":"pt"}). `fields` must hold "adapters" ({"0": path, …}) and "hidden_size".
 */
export function initXLoraCheckpointFiles(
  fields: XLoraInitFields, parts: Omit<XLoraModelParts, 'classifierWeights' | 'xloraConfig'>, seed: number,
): { config: XLoraConfig; files: Map<string, Uint8Array>; numLayers: number } {
  const config = parseXLoraConfig({ peft_type: 'XLORA', task_type: 'CAUSAL_LM', inference_mode: true, ...fields }, 'xlora init settings');
  if (parts.baseConfig.hiddenSize !== config.hiddenSize) throw new InputError(`xlora init: hidden_size ${config.hiddenSize} is not the base model's ${parts.baseConfig.hiddenSize}`);
  const numLayers = xloraLayerCount({ ...parts, xloraConfig: config });
  if (numLayers === 0) throw new InputError('xlora init: no module of the base model is wrapped by any of the adapters');
  const layout = classifierLayout(config, config.hiddenSize, numLayers, parts.experts.length);
  const tensors: Record<string, HostTensor> = {};
  for (const [k, t] of initialClassifierWeights(layout, seed)) tensors[PEFT_CLASSIFIER_PREFIX + k] = t;
  const files = new Map<string, Uint8Array>([
    ['adapter_config.json', new TextEncoder().encode(`${JSON.stringify(serializeXLoraConfig(config), null, 2)}\n`)],
    ['adapter_model.safetensors', writeSafetensors(tensors)],
  ]);
  return { config, files, numLayers };
}
