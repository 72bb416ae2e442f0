import { dequantize, isPacked, quantize, type PackedFormat, type WeightTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import { chooseWeightFormat, type LoadDtype } from './load-dtype.js';

/**
 * Weights already in memory (a GGUF base, whose tensors come in their own formats) brought to `dtype`, one tensor
 * at a time, each replaced as it is converted (so the extra memory is one tensor). Tensors already in the chosen
 * format are kept as they are; a tensor shared under two names (a tied head) stays shared. Returns the fallbacks
 * taken, as "wanted -> got" -> tensor names.
 */
export function convertLoadedWeights(weights: Map<string, WeightTensor>, dtype: LoadDtype, config: LlamaConfig): Map<string, string[]> {
  const done = new Map<WeightTensor, WeightTensor>();
  const fallbacks = new Map<string, string[]>();
  for (const [name, t] of weights) {
    const prior = done.get(t);
    if (prior) {
      weights.set(name, prior);
      continue;
    }
    const choice = chooseWeightFormat(name, t.shape, dtype, { nLayers: config.numHiddenLayers, tiedEmbeddings: config.tieWordEmbeddings });
    const current = isPacked(t) ? t.format : 'f32';
    let out = t;
    if (choice.format !== current) out = choice.format === 'f32' ? dequantize(t) : quantize(dequantize(t), choice.format as PackedFormat, name);
    if (choice.wanted) {
      const key = `${choice.wanted} -> ${choice.format}`;
      fallbacks.set(key, [...(fallbacks.get(key) ?? []), name]);
    }
    done.set(t, out);
    weights.set(name, out);
  }
  return fallbacks;
}
