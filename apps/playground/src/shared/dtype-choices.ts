import type { LoadDtype } from '@xlora/model';

/**
 * What the base model's weights are stored in once loaded (loadXLoraModel's `dtype`), in the order of the picker.
 * 'stored': as the file has them (F16/BF16/GGUF blocks stay packed, F32 stays f32). Compute is f32 either way;
 * norms and biases stay f32; experts and the classifier are not touched.
 */
export const DTYPE_LABELS = {
  stored: 'as stored in the file',
  f32: 'f32 (4 bytes a weight)',
  f16: 'f16',
  bf16: 'bf16',
  q8_0: 'q8_0 (8.5 bits)',
  q4_0: 'q4_0 (4.5 bits)',
  q4_k: 'q4_k (4.5 bits)',
  q4_k_m: 'q4_k_m (llama.cpp mix)',
} as const satisfies Record<LoadDtype | 'stored', string>;

export type DtypeChoice = keyof typeof DTYPE_LABELS;

export function isDtypeChoice(s: string | null | undefined): s is DtypeChoice {
  return typeof s === 'string' && Object.hasOwn(DTYPE_LABELS, s);
}

/** The loader's `dtype` option for a choice (undefined: as stored). */
export const loadDtypeOf = (c: DtypeChoice): LoadDtype | undefined => (c === 'stored' ? undefined : c);
