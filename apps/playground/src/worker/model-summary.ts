import { weightFormat, type WeightTensor } from '@xlora/core';
import type { XLoraModel } from '@xlora/model';
import type { LoadedModelInfo } from '../shared/protocol.js';

/** Short expert names from the checkpoint's adapter paths ("experts/prose" → "prose"). */
export function expertNames(adapters: Record<string, string>): string[] {
  return Object.values(adapters).map((p) => p.replace(/\/+$/, '').split('/').pop() || p);
}

/** "30 q8_0, 9 f32": how the base weights are stored, most common first (a tied head counts once). */
export function weightFormatCounts(weights: ReadonlyMap<string, WeightTensor>): string {
  const counts = new Map<string, number>();
  for (const t of new Set(weights.values())) {
    const f = weightFormat(t);
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([f, n]) => `${n} ${f}`).join(', ');
}

/** What the page shows about a loaded model and the knob defaults it starts from. */
export function describeModel(model: XLoraModel): LoadedModelInfo {
  const xc = model.parts.xloraConfig;
  const cfg = model.config as { hiddenSize?: number; numHiddenLayers?: number; vocabSize?: number; modelType?: string };
  const experts = expertNames(xc.adapters);
  return {
    experts,
    layers: model.wrappedModules.map((m) => m.modulePath),
    layerwise: xc.layerwiseScalings,
    summary: `${cfg.modelType ?? 'llama'}: ${cfg.numHiddenLayers} blocks, hidden ${cfg.hiddenSize}, vocab ${cfg.vocabSize}; ` +
      `base weights ${weightFormatCounts(model.parts.baseWeights)}; ` +
      `${model.numExperts} experts (${experts.join(', ')}), ${model.numLayers} LoRA layers, ` +
      `${xc.layerwiseScalings ? 'layerwise' : 'shared'} scalings`,
    defaults: {
      topK: model.getTopKLora(),
      softmaxTopK: xc.enableSoftmaxTopk,
      globalScalingWeight: model.getGlobalScalingWeight(),
      scalingPassValue: model.getScalingPassValue(),
    },
  };
}
