import type { LoraConfig } from './lora-config.js';
import { layerIndexOf, matchesModuleSpec } from './module-match.js';

/** PEFT's default LoRA targets for the Llama family (llama, mistral, qwen2) when `target_modules` is null. */
export const DEFAULT_LLAMA_TARGETS: readonly string[] = ['q_proj', 'v_proj'];

/**
 * Whether an expert with this config wraps the module at `modulePath` (e.g. "model.layers.0.self_attn.q_proj"),
 * following PEFT:
 * - `target_modules` list: the name equals an entry or ends with "." + entry; a string: full-match regex;
 *   "all-linear": every candidate except `lm_head`; null: PEFT's Llama-family default (q_proj, v_proj);
 * - `exclude_modules` (same matching) removes modules;
 * - `layers_to_transform` keeps only modules whose layer index (see `layerIndexOf`) is listed.
 */
export function targetsModule(cfg: Pick<LoraConfig, 'targetModules' | 'excludeModules' | 'layersToTransform' | 'layersPattern'>, modulePath: string): boolean {
  if (cfg.excludeModules !== null && matchesModuleSpec(cfg.excludeModules, modulePath)) return false;
  const spec = cfg.targetModules ?? [...DEFAULT_LLAMA_TARGETS];
  const found =
    spec === 'all-linear' ? modulePath !== 'lm_head' && !modulePath.endsWith('.lm_head') : matchesModuleSpec(spec, modulePath);
  if (!found || cfg.layersToTransform === null) return found;
  const layer = layerIndexOf(modulePath, cfg.layersPattern);
  if (layer === null) return false;
  return typeof cfg.layersToTransform === 'number' ? layer === cfg.layersToTransform : cfg.layersToTransform.includes(layer);
}
