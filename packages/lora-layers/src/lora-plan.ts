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
 * The X-LoRA layer order: the modules targeted by at least one expert's adapter_config.json, in model
 * (registration) order. As in PEFT, a targeted module is wrapped even when the expert's file has no weights for
 * it: it keeps PEFT's initialisation, which with init_lora_weights true or "gaussian" has lora_B = 0, so the expert
 * adds nothing there (other initialisations are random or rewrite the base weights: an error). Weights for a
 * module the config does not target are rejected by the loader (PEFT: "Got unexpected keys").
 */
export function planWrappedModules(candidates: readonly string[], experts: readonly ExpertWeights[]): WrappedModule[] {
  const known = new Set(candidates);
  experts.forEach((e, i) => {
    for (const path of expertModulePaths(e)) {
      if (!known.has(path)) {
        throw new InputError(`${e.dir}/adapter_model.safetensors (expert ${i} "${e.name}"): LoRA weights for "${path}", which is not a linear module of this model (supported: ${[...new Set(candidates.map((c) => c.split('.').pop()))].join(', ')})`);
      }
    }
    if (!candidates.some((path) => targetsModule(e.config, path))) {
      throw new InputError(`${e.dir}/adapter_config.json (expert ${i} "${e.name}"): target_modules ${JSON.stringify(e.config.targetModules)} (with layers_to_transform ${JSON.stringify(e.config.layersToTransform)}) selects no module of this model; PEFT raises "Target modules ... not found in the base model"`);
    }
  });
  const wrapped: WrappedModule[] = [];
  for (const path of candidates) {
    const targeting = experts.filter((e) => targetsModule(e.config, path));
    if (targeting.length === 0) continue;
    for (const e of targeting) {
      if (!expertModule(e, path) && !zeroInit(e.config.initLoraWeights)) {
        throw new InputError(`${e.dir}/adapter_config.json targets "${path}" but ${e.dir}/adapter_model.safetensors has no lora_A/lora_B for it, and with init_lora_weights ${JSON.stringify(e.config.initLoraWeights)} PEFT would leave non-zero (random or base-derived) weights there`);
      }
    }
    wrapped.push({ modulePath: path, layer: wrapped.length });
  }
  if (wrapped.length === 0) throw new InputError('no expert targets any linear module of the base model');
  return wrapped;
}

/** PEFT initialisations that set lora_B to zero (the module's delta is 0 until weights are loaded). */
function zeroInit(init: boolean | string): boolean {
  return init === true || init === 'gaussian';
}
