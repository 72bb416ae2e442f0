import { InputError, quantize, type HostTensor, type WeightTensor } from '@xlora/core';
import type { LoraConfig } from '@xlora/config';
import { classifierLayout, CLASSIFIER_PREFIX, validateClassifierWeights, type ClassifierLayout } from '@xlora/classifier';
import { embeddingMixtureWeights, embeddingWeightNames, planWrappedModules, stackedWeightNames, stackExperts, type ExpertWeights, type StackedModule, type WrappedModule } from '@xlora/lora-layers';
import type { Architecture } from '../architectures/architecture.js';
import type { XLoraModelParts } from './model-parts.js';

/** Storage of the experts' stacked LoRA matrices: f32, or f16 (packed; backends dequantize or run it natively). */
export type ExpertDtype = 'f32' | 'f16';

/** What the step graphs bind: base + classifier + stacked expert weights, the wrapped modules and the classifier layout. */
export interface PreparedWeights {
  wrappedModules: readonly WrappedModule[];
  layout: ClassifierLayout;
  /** graph weight name → tensor */
  weights: Map<string, WeightTensor>;
  /** module path → its experts stacked in rank space, and its X-LoRA layer */
  stacked: Map<string, { stacked: StackedModule; layer: number }>;
}

/**
 * PEFT resolves target_modules null and "all-linear" by model type: the experts' configs with the architecture's
 * names in place of those (lora-layers matches the explicit lists).
 */
function withArchitectureTargets(experts: readonly ExpertWeights[], arch: Architecture): ExpertWeights[] {
  return experts.map((e) => {
    const t = e.config.targetModules;
    if (t !== null && t !== 'all-linear') return e;
    const targetModules: LoraConfig['targetModules'] = [...(t === null ? arch.defaultLoraTargets : arch.allLinearNames)];
    return { ...e, config: { ...e.config, targetModules } };
  });
}

/** An expert with weights for a module the architecture refuses (Mixtral's MoE experts): a named InputError. */
function refuseModules(experts: readonly ExpertWeights[], arch: Architecture): void {
  if (!arch.refusedLoraModule) return;
  experts.forEach((e, i) => {
    for (const path of [...e.modules.keys(), ...(e.embeddings?.keys() ?? [])]) {
      const why = arch.refusedLoraModule!(path);
      if (why) throw new InputError(`${e.dir}/adapter_model.safetensors (expert ${i} "${e.name}"): ${why}`);
    }
  });
}

/**
 * Checks the checkpoint against the base model (hidden size, adapter count, classifier tensors), plans the
 * X-LoRA layers (the architecture's module order) and stacks every wrapped module's experts, in `expertDtype`.
 */
export function prepareExpertWeights(parts: XLoraModelParts, arch: Architecture, expertDtype: ExpertDtype): PreparedWeights {
  const { baseConfig: cfg, xloraConfig: xc } = parts;
  if (expertDtype !== 'f32' && expertDtype !== 'f16') throw new InputError(`expertDtype must be "f32" or "f16", got ${JSON.stringify(expertDtype)}`);
  if (xc.hiddenSize !== cfg.hiddenSize) {
    throw new InputError(`adapter_config.json field "hidden_size" is ${xc.hiddenSize} but the base model's hidden_size is ${cfg.hiddenSize}`);
  }
  const adapterCount = Object.keys(xc.adapters).length;
  if (parts.experts.length !== adapterCount) throw new InputError(`adapter_config.json lists ${adapterCount} adapters but ${parts.experts.length} experts were loaded`);
  refuseModules(parts.experts, arch);
  const experts = withArchitectureTargets(parts.experts, arch);
  const modules = arch.loraModules(cfg);
  const wrappedModules = planWrappedModules(modules.map((m) => m.path), experts);
  const layout = classifierLayout(xc, cfg.hiddenSize, wrappedModules.length, experts.length);
  validateClassifierWeights(parts.classifierWeights, layout, parts.classifierFile ?? 'adapter_model.safetensors');

  const expertWeight = (t: HostTensor<'f32'>, name: string): WeightTensor => (expertDtype === 'f16' ? quantize(t, 'f16', name) : t);
  const weights = new Map<string, WeightTensor>(parts.baseWeights);
  for (const [k, t] of parts.classifierWeights) weights.set(CLASSIFIER_PREFIX + k, t);
  const stacked = new Map<string, { stacked: StackedModule; layer: number }>();
  const byPath = new Map(modules.map((m) => [m.path, m]));
  for (const w of wrappedModules) {
    const m = byPath.get(w.modulePath)!;
    const s = stackExperts(w.modulePath, experts, m.inFeatures, m.outFeatures);
    const names = stackedWeightNames(w.modulePath);
    weights.set(names.b, expertWeight(s.b, names.b));
    if (m.kind === 'embedding') {
      const extra = embeddingMixtureWeights(s);
      const embNames = embeddingWeightNames(w.modulePath);
      weights.set(embNames.aT, expertWeight(extra.aT, embNames.aT));
      weights.set(embNames.identity, extra.identity);
    } else {
      weights.set(names.a, expertWeight(s.a, names.a));
    }
    stacked.set(w.modulePath, { stacked: s, layer: w.layer });
  }
  return { wrappedModules, layout, weights, stacked };
}
