import { f32 } from '@xlora/core';
import { parseLoraConfig } from '@xlora/config';
import { describe, expect, it } from 'vitest';
import type { ExpertWeights } from './expert-weights.js';
import { planWrappedModules } from './lora-plan.js';
import { stackExperts } from './stack-experts.js';

function expert(name: string, r: number, alpha: number, modules: string[], rslora = false): ExpertWeights {
  const config = parseLoraConfig({ peft_type: 'LORA', r, lora_alpha: alpha, use_rslora: rslora, target_modules: modules.map((m) => m.split('.').pop()) }, `${name}/adapter_config.json`);
  return {
    name, dir: name, config,
    modules: new Map(modules.map((m) => [m, { a: f32([r, 2], new Array(2 * r).fill(1)), b: f32([3, r], new Array(3 * r).fill(1)) }])),
  };
}

const Q0 = 'model.layers.0.self_attn.q_proj', V0 = 'model.layers.0.self_attn.v_proj', UP0 = 'model.layers.0.mlp.up_proj';

describe('stackExperts', () => {
  it('stacks mixed ranks, skips experts without the module and folds alpha/r (or alpha/√r) into B̂', () => {
    const experts = [expert('e0', 4, 8, [Q0, V0]), expert('e1', 2, 6, [V0], true), expert('e2', 8, 4, [V0])];
    const q = stackExperts(Q0, experts, 2, 3);
    expect(q.segments).toEqual([{ expert: 0, offset: 0, rank: 4 }]);
    expect(q.b.data[0]).toBe(2); // 8/4
    const v = stackExperts(V0, experts, 2, 3);
    expect(v.segments).toEqual([{ expert: 0, offset: 0, rank: 4 }, { expert: 1, offset: 4, rank: 2 }, { expert: 2, offset: 6, rank: 8 }]);
    expect(v.a.shape).toEqual([14, 2]);
    expect(Array.from(v.b.data.subarray(0, 14)).map((x) => +x.toFixed(4))).toEqual([2, 2, 2, 2, 4.2426, 4.2426, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(() => stackExperts(V0, experts, 5, 3)).toThrow('lora_A is [4,2], expected [r, 5] for the base layer');
  });

  it('numbers X-LoRA layers over the union of targets in model order', () => {
    const candidates = [Q0, 'model.layers.0.self_attn.k_proj', V0, UP0];
    const plan = planWrappedModules(candidates, [expert('e0', 2, 2, [UP0]), expert('e1', 2, 2, [V0, Q0])]);
    expect(plan).toEqual([{ modulePath: Q0, layer: 0 }, { modulePath: V0, layer: 1 }, { modulePath: UP0, layer: 2 }]);
    const missing = expert('e2', 2, 2, [Q0, V0]);
    (missing.modules as Map<string, unknown>).delete(Q0);
    // PEFT wraps what the config targets; the missing weights keep lora_B = 0 (init_lora_weights true)
    expect(planWrappedModules(candidates, [missing])).toEqual([{ modulePath: Q0, layer: 0 }, { modulePath: V0, layer: 1 }]);
    expect(stackExperts(Q0, [missing], 2, 3).segments).toEqual([]);
    const randomInit = { ...missing, config: { ...missing.config, initLoraWeights: false } };
    expect(() => planWrappedModules(candidates, [randomInit])).toThrow(
      'e2/adapter_config.json targets "model.layers.0.self_attn.q_proj" but e2/adapter_model.safetensors has no lora_A/lora_B for it, and with init_lora_weights false PEFT would leave non-zero (random or base-derived) weights there',
    );
    const nothing = { ...missing, config: { ...missing.config, targetModules: ['o_proj'] } };
    expect(() => planWrappedModules(candidates, [nothing])).toThrow(
      'e2/adapter_config.json (expert 0 "e2"): target_modules ["o_proj"] (with layers_to_transform null) selects no module of this model; PEFT raises "Target modules ... not found in the base model"',
    );
    expect(() => planWrappedModules([Q0], [expert('e3', 2, 2, ['model.layers.9.self_attn.q_proj'])])).toThrow('not a linear module of this model');
  });
});
