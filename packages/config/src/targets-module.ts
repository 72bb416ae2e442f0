import type { LoraConfig } from './lora-config.js';
import { layerIndexOf, matchesModuleSpec } from './module-match.js';

/** PEFT's default LoRA targets for the Llama family (llama, mistral, qwen2) when `target_modules` is null. */
export const DEFAULT_LLAMA_TARGETS: readonly string[] = ['q_proj', 'v_proj'];

/** What "all-linear" expands to on a Llama-family model: the nn.Linear names except the output layer (lm_head). */
export const LLAMA_LINEAR_NAMES: readonly string[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export type TargetFields = Pick<LoraConfig, 'targetModules' | 'excludeModules' | 'layersToTransform' | 'layersPattern' | 'modulesToSave'>;

/**
 * Whether an expert with this config wraps the module at `modulePath` (e.g. "model.layers.0.self_attn.q_proj"),
 * exactly as PEFT 0.18's `check_target_module_exists`:
 * - `exclude_modules` (string: full-match regex; list: equal or "." suffix) and `modules_to_save` remove modules;
 * - a `target_modules` string is a full-match regex, and nothing else applies (PEFT forbids layers_to_transform
 *   with it, see parseLoraConfig);
 * - a list (null: PEFT's Llama default; "all-linear": every Linear name but lm_head's) matches a name equal to an
 *   entry without further checks, or ending with "." + entry, and then `layers_to_transform` (when set and not an
 *   empty list) keeps only modules whose layer index (see `layerIndexOf`) is listed.
 */
export function targetsModule(cfg: TargetFields, modulePath: string): boolean {
  if (cfg.excludeModules !== null && matchesModuleSpec(cfg.excludeModules, modulePath)) return false;
  if (cfg.modulesToSave?.some((m) => new RegExp(`(^|.*\\.)${escapeRegex(m)}($|\\..*)`).test(modulePath))) return false;
  const spec = cfg.targetModules === null ? DEFAULT_LLAMA_TARGETS : cfg.targetModules === 'all-linear' ? LLAMA_LINEAR_NAMES : cfg.targetModules;
  if (typeof spec === 'string') return matchesModuleSpec(spec, modulePath);
  if (spec.includes(modulePath)) return true;
  if (!matchesModuleSpec(spec, modulePath)) return false;
  const layers = cfg.layersToTransform;
  if (layers === null || (Array.isArray(layers) && layers.length === 0)) return true;
  const layer = layerIndexOf(modulePath, cfg.layersPattern);
  if (layer === null) return false;
  return typeof layers === 'number' ? layer === layers : layers.includes(layer);
}

/** PEFT builds the modules_to_save pattern with the raw name (a regex); names are plain identifiers in practice. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
