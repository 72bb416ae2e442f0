import { describe, expect, it } from 'vitest';
import { InputError } from '@xlora/core';
import { parseLoraConfig } from './lora-config.js';
import { targetsModule } from './targets-module.js';

const lora = (json: Record<string, unknown>) => parseLoraConfig({ peft_type: 'LORA', ...json }, 'e/adapter_config.json');
const q0 = 'model.layers.0.self_attn.q_proj';
const q1 = 'model.layers.1.self_attn.q_proj';

function expectError(json: Record<string, unknown>, message: string): void {
  let caught: unknown;
  try {
    lora(json);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as Error).message).toBe(message);
}

describe('targetsModule follows check_target_module_exists (PEFT 0.18) in the corners', () => {
  it('an empty layers_to_transform list selects every layer (PEFT skips the layer check)', () => {
    const cfg = lora({ target_modules: ['q_proj'], layers_to_transform: [] });
    expect([q0, q1].map((m) => targetsModule(cfg, m))).toEqual([true, true]);
  });

  it('a list entry equal to the full module name is not filtered by layers_to_transform', () => {
    const cfg = lora({ target_modules: [q0, 'v_proj'], layers_to_transform: [1] });
    expect(targetsModule(cfg, q0)).toBe(true);
    expect(targetsModule(cfg, 'model.layers.0.self_attn.v_proj')).toBe(false);
    expect(targetsModule(cfg, 'model.layers.1.self_attn.v_proj')).toBe(true);
  });

  it('all-linear is the Linear names: not embed_tokens, not lm_head', () => {
    const cfg = lora({ target_modules: 'all-linear' });
    expect(targetsModule(cfg, 'model.embed_tokens')).toBe(false);
    expect(targetsModule(cfg, 'lm_head')).toBe(false);
    expect(targetsModule(cfg, 'model.layers.3.mlp.down_proj')).toBe(true);
  });

  it('modules_to_save modules are never LoRA targets', () => {
    const cfg = lora({ target_modules: ['q_proj', 'lm_head'], modules_to_save: ['lm_head'] });
    expect(targetsModule(cfg, 'lm_head')).toBe(false);
    expect(targetsModule(cfg, q0)).toBe(true);
  });
});

describe('parseLoraConfig raises where LoraConfig.__post_init__ raises', () => {
  it('layers_to_transform or layers_pattern with a string target_modules', () => {
    expectError(
      { target_modules: '.*q_proj', layers_to_transform: [0] },
      'e/adapter_config.json: field "layers_to_transform" cannot be used when "target_modules" is a string (".*q_proj": a regex or "all-linear"); PEFT\'s LoraConfig raises ValueError for this',
    );
    expectError(
      { target_modules: 'all-linear', layers_pattern: 'layers', layers_to_transform: null },
      'e/adapter_config.json: field "layers_pattern" cannot be used when "target_modules" is a string ("all-linear": a regex or "all-linear"); PEFT\'s LoraConfig raises ValueError for this',
    );
  });

  it('layers_pattern without layers_to_transform (0 counts as unset, as in Python)', () => {
    for (const layers of [null, 0, []]) {
      expectError(
        { target_modules: ['q_proj'], layers_pattern: 'layers', layers_to_transform: layers },
        `e/adapter_config.json: field "layers_pattern" is set but "layers_to_transform" is ${JSON.stringify(layers)}; PEFT requires both (a ValueError in LoraConfig; note that 0 counts as unset there, write [0])`,
      );
    }
    expect(lora({ target_modules: ['q_proj'], layers_pattern: 'layers', layers_to_transform: [0] }).layersPattern).toBe('layers');
    expect(lora({ target_modules: ['q_proj'], layers_pattern: '', layers_to_transform: null }).layersPattern).toBe('');
  });
});
