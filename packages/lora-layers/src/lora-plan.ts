import { InputError } from '@xlora/core';
import { targetsModule } from '@xlora/config';
import { expertModule, expertModulePaths, type ExpertWeights } from './expert-weights.js';

/** A LoRA-wrapped module and its X-LoRA layer index. */
export interface WrappedModule {
  modulePath: string;
  /** X-LoRA layer index l: position among wrapped modules in model order */
  layer: number;
}

/**
 * The X-LoRA layer order: the modules targeted by at least one expert, in model (registration) order.
 * `candidates` are the architecture's linear modules in that order. Every expert must have weights for each
 * module it targets, and no weights for modules it does not.
 */
export function planWrappedModules(candidates: readonly string[], experts: readonly ExpertWeights[]): WrappedModule[] {
  const known = new Set(candidates);
  experts.forEach((e, i) => {
    for (const path of expertModulePaths(e)) {
      if (!known.has(path)) {
        throw new InputError(`${e.dir}/adapter_model.safetensors (expert ${i} "${e.name}"): LoRA weights for "${path}", which is not a linear module of this model (supported: ${[...new Set(candidates.map((c) => c.split('.').pop()))].join(', ')})`);
      }
    }
  });
  const wrapped: WrappedModule[] = [];
  for (const path of candidates) {
    const targeting = experts.filter((e) => targetsModule(e.config, path) || expertModule(e, path) !== undefined);
    if (targeting.length === 0) continue;
    for (const e of targeting) {
      if (!expertModule(e, path)) {
        throw new InputError(`${e.dir}/adapter_config.json targets "${path}" but ${e.dir}/adapter_model.safetensors has no lora_A/lora_B for it`);
      }
    }
    wrapped.push({ modulePath: path, layer: wrapped.length });
  }
  if (wrapped.length === 0) throw new InputError('no expert targets any linear module of the base model');
  return wrapped;
}
