import { InputError } from '@xlora/core';
import { expectObject, FieldReader, isInt, sortKeys } from './json-fields.js';
import { checkPeftType, readPeftCommon, writePeftCommon, type PeftCommonFields } from './peft-common.js';

export type LoraBias = 'none' | 'all' | 'lora_only';

/**
 * PEFT's `LoraConfig` for one expert, camelCase, with PEFT's defaults. Fields PEFT writes that we do not use
 * (loftq_config, eva_config, megatron_*, ...) stay in `extra` and round-trip unchanged.
 */
export interface LoraConfig extends PeftCommonFields {
  peftType: 'LORA';
  r: number;
  loraAlpha: number;
  /** A list of module-name suffixes, or a regex string that must match the full module name; null = PEFT's default. */
  targetModules: string[] | string | null;
  /** Like targetModules, for modules to leave out (PEFT >= 0.14). */
  excludeModules: string[] | string | null;
  useRslora: boolean;
  loraDropout: number;
  bias: LoraBias;
  fanInFanOut: boolean;
  useDora: boolean;
  loraBias: boolean;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  layersToTransform: number[] | number | null;
  layersPattern: string[] | string | null;
  modulesToSave: string[] | null;
  initLoraWeights: boolean | string;
  extra: Record<string, unknown>;
}

export const LORA_DEFAULTS = {
  r: 8,
  loraAlpha: 8,
  loraDropout: 0.0,
  bias: 'none' as LoraBias,
} as const;

/** Parses a LoRA expert's `adapter_config.json`. Throws InputError naming `file` and the field. */
export function parseLoraConfig(json: unknown, file: string): LoraConfig {
  const r: FieldReader = new FieldReader(expectObject(json, file), file);
  checkPeftType(r, 'LORA');
  const common = readPeftCommon(r);
  const bias = r.str('bias', LORA_DEFAULTS.bias);
  if (bias !== 'none' && bias !== 'all' && bias !== 'lora_only') r.fail('bias', '"none", "all" or "lora_only"');
  const cfg: LoraConfig = {
    peftType: 'LORA',
    ...common,
    r: r.int('r', LORA_DEFAULTS.r, 1),
    loraAlpha: r.num('lora_alpha', LORA_DEFAULTS.loraAlpha),
    targetModules: r.stringOrList('target_modules'),
    excludeModules: r.stringOrList('exclude_modules'),
    useRslora: r.bool('use_rslora', false),
    loraDropout: r.num('lora_dropout', LORA_DEFAULTS.loraDropout, { ok: (p) => p >= 0 && p <= 1, expected: 'a number in [0, 1]' }),
    bias: bias as LoraBias,
    fanInFanOut: r.bool('fan_in_fan_out', false),
    useDora: r.bool('use_dora', false),
    loraBias: r.bool('lora_bias', false),
    rankPattern: r.numberMap('rank_pattern'),
    alphaPattern: r.numberMap('alpha_pattern'),
    layersToTransform: readLayersToTransform(r),
    layersPattern: r.stringOrList('layers_pattern'),
    modulesToSave: r.nullableStringList('modules_to_save'),
    initLoraWeights: readInitLoraWeights(r),
    extra: {},
  };
  for (const [k, n] of Object.entries(cfg.rankPattern)) {
    if (!isInt(n) || n < 1) throw new InputError(`${file}: field "rank_pattern" entry "${k}" must be an integer >= 1, got ${n}`);
  }
  checkLayerFields(cfg, file);
  cfg.extra = r.rest();
  return cfg;
}

/** The checks of PEFT's LoraConfig.__post_init__ on the layer-selection fields (each a ValueError there). */
function checkLayerFields(cfg: LoraConfig, file: string): void {
  const peft = "PEFT's LoraConfig raises ValueError for this";
  if (typeof cfg.targetModules === 'string') {
    const target = `"target_modules" is a string (${JSON.stringify(cfg.targetModules)}: a regex or "all-linear")`;
    if (cfg.layersToTransform !== null) throw new InputError(`${file}: field "layers_to_transform" cannot be used when ${target}; ${peft}`);
    if (cfg.layersPattern !== null) throw new InputError(`${file}: field "layers_pattern" cannot be used when ${target}; ${peft}`);
  }
  // Python truthiness: an empty pattern is "not set"; layers_to_transform 0 or [] counts as missing.
  const hasPattern = cfg.layersPattern !== null && cfg.layersPattern.length > 0;
  const hasLayers = cfg.layersToTransform !== null && cfg.layersToTransform !== 0 && !(Array.isArray(cfg.layersToTransform) && cfg.layersToTransform.length === 0);
  if (hasPattern && !hasLayers) {
    throw new InputError(
      `${file}: field "layers_pattern" is set but "layers_to_transform" is ${JSON.stringify(cfg.layersToTransform)}; PEFT requires both (a ValueError in LoraConfig; note that 0 counts as unset there, write [0])`,
    );
  }
}

function readLayersToTransform(r: FieldReader): number[] | number | null {
  const v = r.raw('layers_to_transform');
  if (v === undefined || v === null) return null;
  if (isInt(v) && v >= 0) return v;
  if (Array.isArray(v) && v.every((n) => isInt(n) && n >= 0)) return [...(v as number[])];
  r.fail('layers_to_transform', 'a layer index, a list of layer indices or null');
}

function readInitLoraWeights(r: FieldReader): boolean | string {
  const v = r.raw('init_lora_weights');
  if (v === undefined) return true;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  r.fail('init_lora_weights', 'true, false or an initialisation name');
}

/** Back to PEFT's JSON (snake_case, sorted keys, unknown keys kept). */
export function serializeLoraConfig(cfg: LoraConfig): Record<string, unknown> {
  return sortKeys({
    ...cfg.extra,
    ...writePeftCommon(cfg),
    peft_type: 'LORA',
    r: cfg.r,
    lora_alpha: cfg.loraAlpha,
    target_modules: Array.isArray(cfg.targetModules) ? [...cfg.targetModules] : cfg.targetModules,
    exclude_modules: Array.isArray(cfg.excludeModules) ? [...cfg.excludeModules] : cfg.excludeModules,
    use_rslora: cfg.useRslora,
    lora_dropout: cfg.loraDropout,
    bias: cfg.bias,
    fan_in_fan_out: cfg.fanInFanOut,
    use_dora: cfg.useDora,
    lora_bias: cfg.loraBias,
    rank_pattern: { ...cfg.rankPattern },
    alpha_pattern: { ...cfg.alphaPattern },
    layers_to_transform: Array.isArray(cfg.layersToTransform) ? [...cfg.layersToTransform] : cfg.layersToTransform,
    layers_pattern: Array.isArray(cfg.layersPattern) ? [...cfg.layersPattern] : cfg.layersPattern,
    modules_to_save: cfg.modulesToSave ? [...cfg.modulesToSave] : null,
    init_lora_weights: cfg.initLoraWeights,
  });
}
