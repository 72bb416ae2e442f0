import { InputError } from '@xlora/core';
import { expectObject, FieldReader, isPlainObject, sortKeys } from './json-fields.js';
import { checkPeftType, readPeftCommon, writePeftCommon, type PeftCommonFields } from './peft-common.js';

/**
 * PEFT's `XLoraConfig` (peft/tuners/xlora/config.py), camelCase. Defaults are PEFT's. `adapters` maps the class
 * index ("0".."n-1", in order) to the LoRA expert's path; paths are resolved against the working directory, as
 * PEFT does. Unknown keys found on disk are kept in `extra` so the JSON round-trips.
 */
export interface XLoraConfig extends PeftCommonFields {
  peftType: 'XLORA';
  /** Classifier input size; must equal the base model's hidden size. PEFT: null -> 4096 with a warning. */
  hiddenSize: number;
  /** Class index -> expert path. Key order is class order; keys are "0".."n-1" (PEFT quirk Q2). */
  adapters: Record<string, string>;
  enableSoftmax: boolean;
  enableSoftmaxTopk: boolean;
  layerwiseScalings: boolean;
  xloraDepth: number;
  xloraSize: number;
  xloraDropoutP: number;
  useTrainableAdapters: boolean;
  softmaxTemperature: number;
  topKLora: number | null;
  /**
   * Value of the dummy scalings in the scaling pass. `null` means 1/n (n = number of experts), which is what
   * PEFT's `set_scaling_pass_value(None)` does; PEFT itself crashes on a saved `null` (quirk Q3), we accept it.
   */
  scalingPassValue: number | null;
  globalScalingWeight: number;
  /** Keys we do not model, verbatim. */
  extra: Record<string, unknown>;
}

export const XLORA_DEFAULTS = {
  hiddenSize: 4096,
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
} as const;

export type Warn = (message: string) => void;

const defaultWarn: Warn = (message) => console.warn(message);

/** Parses and validates an X-LoRA `adapter_config.json` (already JSON-parsed). `file` is used in messages. */
export function parseXLoraConfig(json: unknown, file: string, warn: Warn = defaultWarn): XLoraConfig {
  const r: FieldReader = new FieldReader(expectObject(json, file), file);
  checkPeftType(r, 'XLORA');
  const common = readPeftCommon(r);

  let hiddenSize = r.nullableInt('hidden_size', null, 1);
  if (hiddenSize === null) {
    warn(`${file}: field "hidden_size" is not set, using 4096 as PEFT does; it must equal the base model's hidden size`);
    hiddenSize = XLORA_DEFAULTS.hiddenSize;
  }
  const adapters = readAdapters(r);

  const cfg: XLoraConfig = {
    peftType: 'XLORA',
    ...common,
    hiddenSize,
    adapters,
    ...readMixtureFields(r),
    extra: r.rest(),
  };
  if (cfg.topKLora !== null && cfg.topKLora > Object.keys(adapters).length) {
    r.fail('top_k_lora', `at most the number of adapters (${Object.keys(adapters).length}) or null`, cfg.topKLora);
  }
  warnLikePeft(cfg, file, warn);
  return cfg;
}

function readAdapters(r: FieldReader): Record<string, string> {
  const v = r.raw('adapters');
  if (!isPlainObject(v)) r.fail('adapters', 'an object mapping "0".."n-1" to LoRA adapter paths');
  const keys = Object.keys(v);
  if (keys.length === 0) r.fail('adapters', 'a non-empty object mapping "0".."n-1" to LoRA adapter paths');
  // JSON.parse orders integer-like keys numerically, so "0".."n-1" always come out in class order here.
  const ok = keys.every((k, i) => k === String(i));
  if (!ok) {
    throw new InputError(
      `${r.file}: field "adapters" must have the keys "0".."${keys.length - 1}" in order (PEFT loads expert i under the ` +
        `name "i" and fails with a KeyError at the first forward otherwise), got ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
    );
  }
  const out: Record<string, string> = {};
  for (const k of keys) {
    const p = v[k];
    if (typeof p !== 'string' || p.length === 0) r.fail('adapters', `an object of non-empty path strings (entry "${k}")`, p);
    out[k] = p;
  }
  return out;
}

/**
 * The classifier and mixture fields both checkpoint formats share (xlora_config.json uses the same names), with
 * PEFT's defaults. PEFT only warns for top_k_lora < 1 and then fails inside torch.topk: we reject it up front.
 */
export function readMixtureFields(r: FieldReader) {
  return {
    enableSoftmax: r.bool('enable_softmax', XLORA_DEFAULTS.enableSoftmax),
    enableSoftmaxTopk: r.bool('enable_softmax_topk', XLORA_DEFAULTS.enableSoftmaxTopk),
    layerwiseScalings: r.bool('layerwise_scalings', XLORA_DEFAULTS.layerwiseScalings),
    xloraDepth: r.int('xlora_depth', XLORA_DEFAULTS.xloraDepth, 1),
    xloraSize: r.int('xlora_size', XLORA_DEFAULTS.xloraSize, 1),
    xloraDropoutP: r.num('xlora_dropout_p', XLORA_DEFAULTS.xloraDropoutP, {
      ok: (p) => p >= 0 && p <= 1,
      expected: 'a number in [0, 1]',
    }),
    useTrainableAdapters: r.bool('use_trainable_adapters', XLORA_DEFAULTS.useTrainableAdapters),
    softmaxTemperature: r.num('softmax_temperature', XLORA_DEFAULTS.softmaxTemperature, {
      ok: (t) => t > 0,
      expected: 'a number > 0',
    }),
    topKLora: r.nullableInt('top_k_lora', XLORA_DEFAULTS.topKLora, 1),
    scalingPassValue: r.nullableNum('scaling_pass_value', XLORA_DEFAULTS.scalingPassValue),
    globalScalingWeight: r.num('global_scaling_weight', XLORA_DEFAULTS.globalScalingWeight),
  };
}

/** PEFT's construction-time warnings (config.py __post_init__). */
export function warnLikePeft(cfg: XLoraConfig, file: string, warn: Warn): void {
  if (cfg.enableSoftmaxTopk && cfg.topKLora === null) {
    warn(`${file}: "enable_softmax_topk" is set but "top_k_lora" is not (PEFT warns too; it has no effect)`);
  }
  if (cfg.enableSoftmaxTopk && cfg.enableSoftmax) {
    warn(`${file}: "enable_softmax_topk" and "enable_softmax" are both enabled; PEFT warns this gives worse performance (softmax applied twice)`);
  }
}

/** Back to PEFT's on-disk JSON: snake_case keys, sorted like PEFT writes them, unknown keys kept. */
export function serializeXLoraConfig(cfg: XLoraConfig): Record<string, unknown> {
  return sortKeys({
    ...cfg.extra,
    ...writePeftCommon(cfg),
    peft_type: 'XLORA',
    hidden_size: cfg.hiddenSize,
    adapters: { ...cfg.adapters },
    enable_softmax: cfg.enableSoftmax,
    enable_softmax_topk: cfg.enableSoftmaxTopk,
    layerwise_scalings: cfg.layerwiseScalings,
    xlora_depth: cfg.xloraDepth,
    xlora_size: cfg.xloraSize,
    xlora_dropout_p: cfg.xloraDropoutP,
    use_trainable_adapters: cfg.useTrainableAdapters,
    softmax_temperature: cfg.softmaxTemperature,
    top_k_lora: cfg.topKLora,
    scaling_pass_value: cfg.scalingPassValue,
    global_scaling_weight: cfg.globalScalingWeight,
  });
}

/** The effective scaling-pass value: `scalingPassValue`, or 1/n when it is null. */
export function effectiveScalingPassValue(cfg: Pick<XLoraConfig, 'scalingPassValue' | 'adapters'>): number {
  return cfg.scalingPassValue ?? 1 / Object.keys(cfg.adapters).length;
}

/** Class order of the experts: [key, path] pairs. */
export function adapterEntries(cfg: Pick<XLoraConfig, 'adapters'>): Array<[key: string, path: string]> {
  return Object.entries(cfg.adapters);
}

