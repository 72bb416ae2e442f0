import { f32 } from '@xlora/core';
import { parseXLoraConfig } from '@xlora/config';
import { describe, expect, it } from 'vitest';
import { classifierLayout, validateClassifierWeights } from './classifier-layout.js';

const config = (extra: Record<string, unknown>) =>
  parseXLoraConfig({ peft_type: 'XLORA', hidden_size: 64, adapters: { 0: 'a', 1: 'b', 2: 'c' }, ...extra }, 'adapter_config.json', () => {});

describe('classifierLayout', () => {
  it('follows PEFT\'s Sequential indices: dropout shifts them', () => {
    expect(classifierLayout(config({}), 64, 14, 3).linears).toEqual([{ index: 0, inFeatures: 64, outFeatures: 3, relu: false }]);
    const withDropout = classifierLayout(config({ xlora_depth: 3, xlora_size: 32, layerwise_scalings: true }), 64, 14, 3);
    expect(withDropout.linears.map((l) => [l.index, l.inFeatures, l.outFeatures])).toEqual([[0, 64, 32], [3, 32, 32], [6, 32, 42]]);
    expect(withDropout.scalingLayers).toBe(14);
    const noDropout = classifierLayout(config({ xlora_depth: 3, xlora_size: 32, xlora_dropout_p: 0 }), 64, 14, 3);
    expect(noDropout.linears.map((l) => l.index)).toEqual([0, 2, 4]);
    expect(noDropout.scalingLayers).toBe(1);
  });

  it('names the missing or misshapen tensor and what the config implies', () => {
    const layout = classifierLayout(config({ xlora_depth: 2, xlora_size: 8 }), 64, 14, 3);
    const weights = new Map([['layers.0.weight', f32([8, 64])], ['layers.0.bias', f32([8])], ['layers.3.weight', f32([3, 8])]]);
    expect(() => validateClassifierWeights(weights, layout, 'ck/adapter_model.safetensors'))
      .toThrow('ck/adapter_model.safetensors: classifier tensor "base_model.internal_xlora_classifier.layers.3.bias" is missing (expected [3]');
    weights.set('layers.3.bias', f32([3]));
    weights.set('layers.0.weight', f32([8, 63]));
    expect(() => validateClassifierWeights(weights, layout, 'f')).toThrow('has shape [8, 63], expected [8, 64]');
    weights.set('layers.0.weight', f32([8, 64]));
    weights.set('layers.2.weight', f32([3, 8]));
    expect(() => validateClassifierWeights(weights, layout, 'f')).toThrow('unexpected classifier tensor "base_model.internal_xlora_classifier.layers.2.weight"');
  });
});
