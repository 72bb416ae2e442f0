import { InputError } from '@xlora/core';
import { isPlainObject, showValue } from './json-fields.js';

/** RoPE scaling from config.json `rope_scaling` (or transformers 5 `rope_parameters`). Raw fields kept in `raw`. */
export type RopeScaling =
  | { ropeType: 'linear'; factor: number; raw: Record<string, unknown> }
  | {
      ropeType: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
      raw: Record<string, unknown>;
    }
  | {
      /** Phi-3 LongRoPE ("su" in older files): per-frequency divisors, short below the original context, long beyond */
      ropeType: 'longrope';
      shortFactor: number[];
      longFactor: number[];
      raw: Record<string, unknown>;
    };

export type RopeType = RopeScaling['ropeType'];
export const SUPPORTED_ROPE_TYPES = ['linear', 'llama3', 'longrope'] as const;

/** Longest short_factor / long_factor list accepted (head_dim / 2 of any real model is far below). */
const MAX_FACTOR_LIST = 4096;

/**
 * null / {rope_type: "default"} -> null; linear, llama3 and longrope are parsed; any other type is an InputError.
 * Which types an architecture accepts is checked by the caller (parseBaseModelConfig).
 */
export function parseRopeScaling(value: unknown, file: string, field = 'rope_scaling'): RopeScaling | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw new InputError(`${file}: field "${field}" must be an object or null, got ${showValue(value)}`);
  const type = value.rope_type ?? value.type;
  if (type === undefined || type === 'default') return null;
  const num = (key: string, min = 0): number => {
    const v = value[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= min) {
      throw new InputError(`${file}: field "${field}.${key}" must be a number > ${min} for rope type ${showValue(type)}, got ${showValue(v)}`);
    }
    return v;
  };
  const list = (key: string): number[] => {
    const v = value[key];
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_FACTOR_LIST || !v.every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0)) {
      throw new InputError(`${file}: field "${field}.${key}" must be a list of 1..${MAX_FACTOR_LIST} numbers > 0 for rope type ${showValue(type)}, got ${showValue(v)}`);
    }
    return [...(v as number[])];
  };
  if (type === 'linear') return { ropeType: 'linear', factor: num('factor'), raw: { ...value } };
  if (type === 'llama3') {
    return {
      ropeType: 'llama3',
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
      raw: { ...value },
    };
  }
  if (type === 'longrope' || type === 'su') {
    return { ropeType: 'longrope', shortFactor: list('short_factor'), longFactor: list('long_factor'), raw: { ...value } };
  }
  throw new InputError(
    `${file}: field "${field}" has rope type ${showValue(type)}, which is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(', ')}, or null)`,
  );
}
