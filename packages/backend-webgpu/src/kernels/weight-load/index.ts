import { bf16Loader } from './bf16.js';
import { f16Loader, f16NativeLoader } from './f16.js';
import { f32Loader } from './f32.js';
import type { WeightLoader } from './loader.js';
import { q4_0Loader } from './q4-0.js';
import { q4_kLoader } from './q4-k.js';
import { q8_0Loader } from './q8-0.js';

/**
 * How a weight is stored on the device, which is how kernels read it: a storage format the loaders read, with f16
 * split into its two bindings ('f16-native' where the device has shader-f16 enabled).
 */
export type WeightStorage = 'f32' | 'f16' | 'f16-native' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k';

export const WEIGHT_LOADERS: Readonly<Record<WeightStorage, WeightLoader>> = {
  f32: f32Loader,
  f16: f16Loader,
  'f16-native': f16NativeLoader,
  bf16: bf16Loader,
  q8_0: q8_0Loader,
  q4_0: q4_0Loader,
  q4_k: q4_kLoader,
};

/** The storage formats (of @xlora/core's WeightFormat) these loaders compute from directly. */
export const NATIVE_WEIGHT_FORMATS = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k'] as const;

export type { WeightLoader };
