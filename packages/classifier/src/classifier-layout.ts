import { InputError, formatShape, type HostTensor } from '@xlora/core';
import type { XLoraConfig } from '@xlora/config';

/** One Linear of the classifier: its index in PEFT's nn.Sequential (= its key) and its size. */
export interface ClassifierLinear {
  index: number;
  inFeatures: number;
  outFeatures: number;
  /** ReLU follows (all but the last) */
  relu: boolean;
}

export interface ClassifierLayout {
  linears: ClassifierLinear[];
  numLayers: number;
  numExperts: number;
  /** Lc: L when layerwise, else 1 (the same C logits serve every layer) */
  scalingLayers: number;
}

/**
 * PEFT's Sequential: depth 1 → [Linear(H,out)]; depth d → Linear(H,size), ReLU, [Dropout], …, Linear(size,out).
 * Dropout modules exist iff xlora_dropout_p > 0, which shifts the Linear indices (0,3,6,… vs 0,2,4,…).
 */
export function classifierLayout(config: XLoraConfig, hiddenSize: number, numLayers: number, numExperts: number): ClassifierLayout {
  const depth = config.xloraDepth;
  const scalingLayers = config.layerwiseScalings ? numLayers : 1;
  const out = numExperts * scalingLayers;
  const stride = config.xloraDropoutP > 0 ? 3 : 2;
  const linears: ClassifierLinear[] = [];
  for (let i = 0; i < depth; i++) {
    const inFeatures = i === 0 ? hiddenSize : config.xloraSize;
    const last = i === depth - 1;
    linears.push({ index: i * stride, inFeatures, outFeatures: last ? out : config.xloraSize, relu: !last });
  }
  return { linears, numLayers, numExperts, scalingLayers };
}

export function classifierWeightNames(index: number): { weight: string; bias: string } {
  return { weight: `layers.${index}.weight`, bias: `layers.${index}.bias` };
}

/** Checks the loaded classifier tensors against the layout; errors name the file, key and expected shape. */
export function validateClassifierWeights(weights: ReadonlyMap<string, HostTensor>, layout: ClassifierLayout, file: string): void {
  const expected = new Set<string>();
  for (const lin of layout.linears) {
    const names = classifierWeightNames(lin.index);
    const shapes: [string, number[]][] = [[names.weight, [lin.outFeatures, lin.inFeatures]], [names.bias, [lin.outFeatures]]];
    for (const [name, shape] of shapes) {
      expected.add(name);
      const t = weights.get(name);
      if (!t) {
        throw new InputError(`${file}: classifier tensor "base_model.internal_xlora_classifier.${name}" is missing (expected ${formatShape(shape)}; found: ${[...weights.keys()].join(', ') || 'nothing'})`);
      }
      if (t.shape.join(',') !== shape.join(',')) {
        throw new InputError(`${file}: classifier tensor "base_model.internal_xlora_classifier.${name}" has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} from the config (xlora_depth, xlora_size, layerwise_scalings, ${layout.numLayers} layers x ${layout.numExperts} experts)`);
      }
    }
  }
  for (const name of weights.keys()) {
    if (!expected.has(name)) throw new InputError(`${file}: unexpected classifier tensor "base_model.internal_xlora_classifier.${name}" for this config (xlora_depth / xlora_dropout_p)`);
  }
}
