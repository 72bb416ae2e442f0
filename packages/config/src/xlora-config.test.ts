import { describe, expect, it } from 'vitest';
import { expectInputError } from './test-helpers.js';
import { effectiveScalingPassValue, parseXLoraConfig, serializeXLoraConfig } from './xlora-config.js';
import { DEMO_MODEL, fixtureCases, PEFT_FIXTURES, readJson, readText } from './test-helpers.js';

const F = 'xlora/adapter_config.json';

function base(): Record<string, unknown> {
  return readJson(`${PEFT_FIXTURES}/cases/a_default/xlora/adapter_config.json`) as Record<string, unknown>;
}

function parseWith(patch: Record<string, unknown>, warn: (m: string) => void = () => {}) {
  return parseXLoraConfig({ ...base(), ...patch }, F, warn);
}


describe('parseXLoraConfig on the fixtures', () => {
  const files = [
    ...fixtureCases().map((c) => `${PEFT_FIXTURES}/cases/${c}/xlora/adapter_config.json`),
    `${DEMO_MODEL}/xlora/adapter_config.json`,
  ];
  it('covers the 6 PEFT cases and the demo', () => expect(files).toHaveLength(7));
  for (const file of files) {
    it(`round-trips ${file.split('/').slice(-3).join('/')}`, () => {
      const json = readJson(file) as Record<string, unknown>;
      const warnings: string[] = [];
      const cfg = parseXLoraConfig(json, file, (m) => warnings.push(m));
      const out = serializeXLoraConfig(cfg);
      expect(out).toEqual(json);
      const reparsed = JSON.parse(JSON.stringify(out, null, 2)) as Record<string, unknown>;
      expect(Object.keys(reparsed).sort()).toEqual(Object.keys(json).sort());
      // PEFT writes sorted keys; so do we, so the text matches up to how Python prints floats (1.0 vs 1).
      expect(JSON.stringify(out, null, 2)).toBe(readText(file).replace(/(\d)\.0\b/g, '$1'));
    });
  }

  it('maps fields to camelCase with the values on disk', () => {
    const b1 = parseXLoraConfig(readJson(`${PEFT_FIXTURES}/cases/b1_depth2_layerwise/xlora/adapter_config.json`), F);
    expect(b1).toMatchObject({ xloraDepth: 2, xloraSize: 48, layerwiseScalings: true, xloraDropoutP: 0.2, peftType: 'XLORA' });
    expect(b1.adapters).toEqual({ '0': 'adapters/lora_qv_r4', '1': 'adapters/lora_qkvo_r8', '2': 'adapters/lora_mlp_r2' });
    const c = parseXLoraConfig(readJson(`${PEFT_FIXTURES}/cases/c_topk2_softmax_topk/xlora/adapter_config.json`), F);
    expect(c).toMatchObject({ topKLora: 2, enableSoftmax: false, enableSoftmaxTopk: true });
    const e = parseXLoraConfig(readJson(`${PEFT_FIXTURES}/cases/e_gsw0.7_passvalue_1_over_n/xlora/adapter_config.json`), F);
    expect(e.globalScalingWeight).toBe(0.7);
    expect(e.scalingPassValue).toBeCloseTo(1 / 3, 15);
    const demo = parseXLoraConfig(readJson(`${DEMO_MODEL}/xlora/adapter_config.json`), F);
    expect(demo).toMatchObject({ hiddenSize: 256, layerwiseScalings: true, baseModelNameOrPath: 'base', taskType: 'CAUSAL_LM' });
  });
});

describe('parseXLoraConfig defaults and warnings', () => {
  it('fills PEFT defaults for a minimal file', () => {
    const cfg = parseXLoraConfig({ peft_type: 'XLORA', hidden_size: 8, adapters: { '0': 'a' } }, F);
    expect(cfg).toMatchObject({
      enableSoftmax: true,
      enableSoftmaxTopk: false,
      layerwiseScalings: false,
      xloraDepth: 1,
      xloraSize: 2048,
      xloraDropoutP: 0.2,
      useTrainableAdapters: false,
      softmaxTemperature: 1.0,
      topKLora: null,
      scalingPassValue: 0.0,
      globalScalingWeight: 1.0,
      inferenceMode: false,
      taskType: null,
      extra: {},
    });
  });

  it('uses 4096 for a null hidden_size and warns like PEFT', () => {
    const warnings: string[] = [];
    const cfg = parseWith({ hidden_size: null }, (m) => warnings.push(m));
    expect(cfg.hiddenSize).toBe(4096);
    expect(warnings).toEqual([
      'xlora/adapter_config.json: field "hidden_size" is not set, using 4096 as PEFT does; it must equal the base model\'s hidden size',
    ]);
  });

  it('warns for enable_softmax_topk without top_k_lora and together with enable_softmax', () => {
    const warnings: string[] = [];
    parseWith({ enable_softmax_topk: true, enable_softmax: true, top_k_lora: null }, (m) => warnings.push(m));
    expect(warnings).toEqual([
      'xlora/adapter_config.json: "enable_softmax_topk" is set but "top_k_lora" is not (PEFT warns too; it has no effect)',
      'xlora/adapter_config.json: "enable_softmax_topk" and "enable_softmax" are both enabled; PEFT warns this gives worse performance (softmax applied twice)',
    ]);
  });

  it('accepts a null scaling_pass_value as 1/n and keeps it null on save', () => {
    const cfg = parseWith({ scaling_pass_value: null });
    expect(cfg.scalingPassValue).toBeNull();
    expect(effectiveScalingPassValue(cfg)).toBeCloseTo(1 / 3, 15);
    expect(serializeXLoraConfig(cfg).scaling_pass_value).toBeNull();
  });

  it('keeps unknown keys verbatim', () => {
    const cfg = parseWith({ some_future_field: { a: [1, 2] } });
    expect(cfg.extra).toEqual({ some_future_field: { a: [1, 2] } });
    expect(serializeXLoraConfig(cfg).some_future_field).toEqual({ a: [1, 2] });
  });
});

describe('parseXLoraConfig errors', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['depth 0', { xlora_depth: 0 }, 'field "xlora_depth" must be an integer >= 1, got 0'],
    ['fractional depth', { xlora_depth: 1.5 }, 'field "xlora_depth" must be an integer >= 1, got 1.5'],
    ['temperature 0', { softmax_temperature: 0 }, 'field "softmax_temperature" must be a number > 0, got 0'],
    ['temperature string', { softmax_temperature: '1' }, 'field "softmax_temperature" must be a number > 0, got "1"'],
    ['top_k 0', { top_k_lora: 0 }, 'field "top_k_lora" must be an integer >= 1 or null, got 0'],
    ['top_k above n', { top_k_lora: 4 }, 'field "top_k_lora" must be at most the number of adapters (3) or null, got 4'],
    ['hidden_size negative', { hidden_size: -3 }, 'field "hidden_size" must be an integer >= 1 or null, got -3'],
    ['xlora_size 0', { xlora_size: 0 }, 'field "xlora_size" must be an integer >= 1, got 0'],
    ['dropout 2', { xlora_dropout_p: 2 }, 'field "xlora_dropout_p" must be a number in [0, 1], got 2'],
    ['bool as string', { enable_softmax: 'yes' }, 'field "enable_softmax" must be true or false, got "yes"'],
    ['peft_type LORA', { peft_type: 'LORA' }, 'field "peft_type" must be "XLORA", got "LORA"'],
    ['adapters missing', { adapters: undefined }, 'field "adapters" must be an object mapping "0".."n-1" to LoRA adapter paths, got nothing'],
    ['adapters empty', { adapters: {} }, 'field "adapters" must be a non-empty object mapping "0".."n-1" to LoRA adapter paths, got {}'],
    ['adapter path not a string', { adapters: { '0': 3 } }, 'field "adapters" must be an object of non-empty path strings (entry "0"), got 3'],
    [
      'named adapters (Q2)',
      { adapters: { math: 'a', code: 'b' } },
      'field "adapters" must have the keys "0".."1" in order (PEFT loads expert i under the name "i" and fails with a KeyError at the first forward otherwise), got "math", "code"',
    ],
    [
      'gap in keys',
      { adapters: { '0': 'a', '2': 'b' } },
      'field "adapters" must have the keys "0".."1" in order (PEFT loads expert i under the name "i" and fails with a KeyError at the first forward otherwise), got "0", "2"',
    ],
    ['scaling pass value string', { scaling_pass_value: 'x' }, 'field "scaling_pass_value" must be a finite number or null, got "x"'],
  ];
  for (const [name, patch, message] of cases) {
    it(name, () => expectInputError(() => parseWith(patch), `${F}: ${message}`));
  }

  it('rejects a non-object', () => {
    expectInputError(() => parseXLoraConfig([1], F), `${F}: expected a JSON object, got an array`);
    expectInputError(() => parseXLoraConfig(null, F), `${F}: expected a JSON object, got null`);
  });
});
