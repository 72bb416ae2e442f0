import { describe, expect, it } from 'vitest';
import { parseLoraConfig, serializeLoraConfig } from './lora-config.js';
import { expectInputError } from './test-helpers.js';
import { DEMO_MODEL, PEFT_FIXTURES, readJson } from './test-helpers.js';

const F = 'experts/x/adapter_config.json';
const qv = () => readJson(`${PEFT_FIXTURES}/adapters/lora_qv_r4/adapter_config.json`) as Record<string, unknown>;

describe('parseLoraConfig', () => {
  const files = [
    ...['lora_qv_r4', 'lora_qkvo_r8', 'lora_mlp_r2'].map((n) => `${PEFT_FIXTURES}/adapters/${n}/adapter_config.json`),
    ...['prose', 'code', 'math'].map((n) => `${DEMO_MODEL}/experts/${n}/adapter_config.json`),
  ];
  for (const file of files) {
    it(`round-trips ${file.split('/').slice(-2).join('/')}`, () => {
      const json = readJson(file) as Record<string, unknown>;
      const out = serializeLoraConfig(parseLoraConfig(json, file));
      expect(out).toEqual(json);
      expect(Object.keys(JSON.parse(JSON.stringify(out, null, 2))).sort()).toEqual(Object.keys(json).sort());
    });
  }

  it('reads the fields of the fixture experts', () => {
    const cfg = parseLoraConfig(readJson(`${PEFT_FIXTURES}/adapters/lora_mlp_r2/adapter_config.json`), F);
    expect(cfg).toMatchObject({ peftType: 'LORA', r: 2, loraAlpha: 6, useRslora: true, useDora: false, bias: 'none', fanInFanOut: false });
    expect(new Set(cfg.targetModules as string[])).toEqual(new Set(['up_proj', 'gate_proj', 'down_proj']));
    expect(cfg.extra.megatron_core).toBe('megatron.core');
    const r8 = parseLoraConfig(readJson(`${PEFT_FIXTURES}/adapters/lora_qkvo_r8/adapter_config.json`), F);
    expect(r8.loraDropout).toBe(0.1);
  });

  it('fills PEFT defaults', () => {
    const cfg = parseLoraConfig({ peft_type: 'LORA', target_modules: 'q_proj' }, F);
    expect(cfg).toMatchObject({ r: 8, loraAlpha: 8, loraDropout: 0, bias: 'none', useRslora: false, rankPattern: {}, alphaPattern: {}, initLoraWeights: true });
    expect(cfg.targetModules).toBe('q_proj');
  });

  const errors: Array<[string, Record<string, unknown>, string]> = [
    ['r 0', { r: 0 }, 'field "r" must be an integer >= 1, got 0'],
    ['alpha string', { lora_alpha: '8' }, 'field "lora_alpha" must be a finite number, got "8"'],
    ['peft_type', { peft_type: 'XLORA' }, 'field "peft_type" must be "LORA", got "XLORA"'],
    ['bias', { bias: 'some' }, 'field "bias" must be "none", "all" or "lora_only", got "some"'],
    ['target_modules', { target_modules: [1] }, 'field "target_modules" must be a string, a list of strings or null, got [1]'],
    ['rank_pattern', { rank_pattern: { q_proj: 'x' } }, 'field "rank_pattern" must be an object of numbers (entry "q_proj"), got {"q_proj":"x"}'],
    ['rank_pattern 0', { rank_pattern: { q_proj: 0 } }, 'field "rank_pattern" entry "q_proj" must be an integer >= 1, got 0'],
    ['layers_to_transform', { layers_to_transform: [-1] }, 'field "layers_to_transform" must be a layer index, a list of layer indices or null, got [-1]'],
    ['use_dora', { use_dora: 1 }, 'field "use_dora" must be true or false, got 1'],
  ];
  for (const [name, patch, message] of errors) {
    it(`rejects ${name}`, () => expectInputError(() => parseLoraConfig({ ...qv(), ...patch }, F), `${F}: ${message}`));
  }
});
