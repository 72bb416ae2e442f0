import type { GraphBuilder, Value } from '@xlora/core';
import type { ClassifierLayout } from './classifier-layout.js';
import { classifierWeightNames } from './classifier-layout.js';

export interface ClassifierOptions {
  enableSoftmax: boolean;
  softmaxTemperature: number;
}

/** Weight-map prefix of the classifier tensors. */
export const CLASSIFIER_PREFIX = 'xlora_classifier.';

/**
 * hidden [B,S,H] → scalings [B,S,Lc,C]: Linear→ReLU→…→Linear, reshape, then softmax(z/T) when enabled.
 * Dropout is identity at inference.
 */
export function buildClassifier(
  g: GraphBuilder, hidden: Value, layout: ClassifierLayout, options: ClassifierOptions, outputName?: string,
): Value {
  return g.withScope('classifier', () => {
    let h = hidden;
    for (const lin of layout.linears) {
      const names = classifierWeightNames(lin.index);
      const w = g.weight(CLASSIFIER_PREFIX + names.weight, [lin.outFeatures, lin.inFeatures]);
      const b = g.weight(CLASSIFIER_PREFIX + names.bias, [lin.outFeatures]);
      h = g.matmul(h, w, b);
      if (lin.relu) h = g.relu(h);
    }
    const shape = [0, 0, layout.scalingLayers, layout.numExperts];
    if (!options.enableSoftmax) return g.reshape(h, shape, outputName); // [B,S,Lc,C]
    return g.softmax(g.reshape(h, shape), options.softmaxTemperature, outputName);
  });
}
