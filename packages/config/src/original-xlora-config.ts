import { InputError } from '@xlora/core';
import { expectObject, FieldReader, isPlainObject } from './json-fields.js';
import { readMixtureFields, warnLikePeft, type Warn, type XLoraConfig } from './xlora-config.js';

/**
 * The original X-LoRA package's `xlora_config.json` (github EricLBuehler/xlora, `xLoRAConfig` dataclass, written by
 * its `save_pretrained` as the dataclass dict without `device`, `adapters` replaced by the list of adapter names).
 * Differences from PEFT that matter when running it:
 * - `adapters` is a list of names (experts saved by PeftModel.save_pretrained in `<dir>/<name>/`) or, in files
 *   written by hand, an object name -> path;
 * - `enable_relu_and_dropout` (default false): ReLU + Dropout between classifier Linear layers exist only when true;
 * - `use_bias` (default true): classifier Linear layers have biases only when true;
 * - `base_model_id` instead of `base_model_name_or_path`.
 */
export interface OriginalXLoraConfig {
  /** The equivalent PEFT config (adapters re-keyed "0".."n-1" in class order, paths as described on `adapterPaths`). */
  config: XLoraConfig;
  /** Adapter names in class order (the original format names experts freely). */
  adapterNames: string[];
  /** Path per adapter as written in the file, or null when the file only lists names (look in `<dir>/<name>`). */
  adapterPaths: Array<string | null>;
  enableReluAndDropout: boolean;
  useBias: boolean;
}

export function parseOriginalXLoraConfig(json: unknown, file: string, warn: Warn = (m) => console.warn(m)): OriginalXLoraConfig {
  const r: FieldReader = new FieldReader(expectObject(json, file), file);
  const hiddenSize = r.nullableInt('hidden_size', null, 1);
  if (hiddenSize === null) r.fail('hidden_size', 'a positive integer (the base model hidden size)');
  const { names, paths } = readOriginalAdapters(r);
  const adapters: Record<string, string> = {};
  names.forEach((n, i) => (adapters[String(i)] = paths[i] ?? n));
  const cfg: XLoraConfig = {
    peftType: 'XLORA',
    taskType: 'CAUSAL_LM',
    peftVersion: null,
    baseModelNameOrPath: r.nullableStr('base_model_id', null),
    revision: null,
    inferenceMode: true,
    autoMapping: null,
    hiddenSize,
    adapters,
    ...readMixtureFields(r),
    extra: {},
  };
  const enableReluAndDropout = r.bool('enable_relu_and_dropout', false);
  const useBias = r.bool('use_bias', true);
  cfg.extra = r.rest();
  warnLikePeft(cfg, file, warn);
  return { config: cfg, adapterNames: names, adapterPaths: paths, enableReluAndDropout, useBias };
}

function readOriginalAdapters(r: FieldReader): { names: string[]; paths: Array<string | null> } {
  const v = r.raw('adapters');
  if (Array.isArray(v)) {
    if (v.length === 0 || !v.every((n) => typeof n === 'string' && n.length > 0)) {
      r.fail('adapters', 'a non-empty list of adapter names or an object name -> path');
    }
    const names = v as string[];
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new InputError(`${r.file}: field "adapters" names "${dup}" twice`);
    return { names: [...names], paths: names.map(() => null) };
  }
  if (isPlainObject(v) && Object.keys(v).length > 0) {
    const names = Object.keys(v);
    const paths = names.map((n) => {
      const p = v[n];
      if (typeof p !== 'string' || p.length === 0) r.fail('adapters', `an object of non-empty path strings (entry "${n}")`, p);
      return p;
    });
    return { names, paths };
  }
  r.fail('adapters', 'a non-empty list of adapter names or an object name -> path');
}
