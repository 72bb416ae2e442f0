import { InputError, type WeightFormat } from '@xlora/core';
import { fittingFormat, q4KMFormat, tensorRole } from './quant-mix.js';

/**
 * What a base model's weights are stored in on load (`dtype` of loadBaseModel / loadXLoraModel, CLI --dtype):
 * one format for every 2-D weight matrix (embedding and head included; norms and biases stay f32), or llama.cpp's
 * Q4_K_M mix.
 */
export type LoadDtype = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q4_k_m';

export const LOAD_DTYPES: readonly LoadDtype[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q4_k_m'];

export function isLoadDtype(x: unknown): x is LoadDtype {
  return typeof x === 'string' && (LOAD_DTYPES as readonly string[]).includes(x);
}

export interface WeightFormatChoice {
  format: WeightFormat;
  /** the format the dtype asked for, when the row length forced `format` instead */
  wanted?: WeightFormat;
}

/**
 * The storage format `dtype` gives the weight `name` of `shape`: f32 for vectors (norms, biases), the dtype's
 * format (or the Q4_K_M mix's) for matrices, with the row-length fallback of `fittingFormat`.
 */
export function chooseWeightFormat(name: string, shape: readonly number[], dtype: LoadDtype, model: { nLayers: number; tiedEmbeddings: boolean }): WeightFormatChoice {
  if (shape.length < 2 || dtype === 'f32') return { format: 'f32' };
  const wanted = dtype === 'q4_k_m' ? q4KMFormat(tensorRole(name), model.nLayers, model.tiedEmbeddings) : dtype;
  const format = fittingFormat(wanted, shape[shape.length - 1]);
  return format === wanted ? { format } : { format, wanted };
}

/** The block formats a dtype may quantize to (before fallbacks), to check encoders before reading anything. */
export function formatsOfDtype(dtype: LoadDtype): WeightFormat[] {
  return dtype === 'q4_k_m' ? ['q4_k', 'q6_k'] : [dtype];
}

/** The error for a `dtype` option that is not one of LOAD_DTYPES. */
export function badDtypeError(dtype: unknown, option = 'dtype'): InputError {
  return new InputError(`${option} must be one of ${LOAD_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
}
