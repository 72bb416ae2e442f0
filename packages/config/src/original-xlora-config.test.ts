import { describe, expect, it } from 'vitest';
import { parseOriginalXLoraConfig } from './original-xlora-config.js';
import { expectInputError } from './test-helpers.js';

const F = 'ckpt/xlora_config.json';
// As the original package's save_pretrained writes it: the dataclass dict minus `device`, adapters as a name list.
const saved = {
  hidden_size: 64,
  base_model_id: 'HuggingFaceH4/zephyr-7b-beta',
  adapters: ['math', 'code'],
  enable_softmax: true,
  enable_softmax_topk: false,
  layerwise_scalings: true,
  xlora_depth: 2,
  xlora_size: 32,
  enable_relu_and_dropout: true,
  use_bias: true,
  xlora_dropout_p: 0.2,
  use_trainable_adapters: false,
  softmax_temperature: 1.0,
  top_k_lora: null,
  scaling_pass_value: 0.0,
  global_scaling_weight: 1.0,
};

describe('parseOriginalXLoraConfig', () => {
  it('maps the original fields onto a PEFT XLoraConfig', () => {
    const o = parseOriginalXLoraConfig(saved, F);
    expect(o.adapterNames).toEqual(['math', 'code']);
    expect(o.adapterPaths).toEqual([null, null]);
    expect(o.enableReluAndDropout).toBe(true);
    expect(o.useBias).toBe(true);
    expect(o.config).toMatchObject({
      peftType: 'XLORA',
      hiddenSize: 64,
      adapters: { '0': 'math', '1': 'code' },
      baseModelNameOrPath: 'HuggingFaceH4/zephyr-7b-beta',
      xloraDepth: 2,
      xloraSize: 32,
      layerwiseScalings: true,
      extra: {},
    });
  });

  it('accepts an adapters object name -> path', () => {
    const o = parseOriginalXLoraConfig({ ...saved, adapters: { math: 'adapters/m', code: 'adapters/c' } }, F);
    expect(o.adapterNames).toEqual(['math', 'code']);
    expect(o.adapterPaths).toEqual(['adapters/m', 'adapters/c']);
  });

  it('rejects bad input', () => {
    expectInputError(() => parseOriginalXLoraConfig({ ...saved, adapters: [] }, F), `${F}: field "adapters" must be a non-empty list of adapter names or an object name -> path, got []`);
    expectInputError(() => parseOriginalXLoraConfig({ ...saved, adapters: ['a', 'a'] }, F), `${F}: field "adapters" names "a" twice`);
    expectInputError(() => parseOriginalXLoraConfig({ ...saved, hidden_size: undefined }, F), `${F}: field "hidden_size" must be a positive integer (the base model hidden size), got nothing`);
    expectInputError(() => parseOriginalXLoraConfig({ ...saved, xlora_depth: 0 }, F), `${F}: field "xlora_depth" must be an integer >= 1, got 0`);
  });
});
