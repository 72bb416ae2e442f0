import type { WeightFormat } from '@xlora/core';

/**
 * Storage formats the ORT backends compute from without widening the weight to f32 (BackendInfo.weightFormats):
 * the ggml block formats through com.microsoft MatMulNBits (q4_0, q4_k: 4-bit; q8_0, q6_k: 8-bit) and
 * GatherBlockQuantized. f16/bf16 are not among them: ORT's CPU MatMul has no f16 kernel on x64 and constant-folds
 * Cast(f16 initializer) into an f32 initializer at session creation, so a half-precision MatMul weight is dequantized
 * at export (same memory, no Cast per run); a half-precision Gather table does stay in its format (Gather, then Cast).
 */
export const ORT_WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'q8_0', 'q4_0', 'q4_k', 'q6_k'];
