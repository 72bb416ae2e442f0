import { f32, type HostTensor } from '@xlora/core';
import { matmul } from './matmul.js';
import { transposed } from './transpose.js';

/**
 * Σ_rows a[r,:]ᵀ b[r,:]: a [...,N], b [...,K] -> [N,K] (MatMul's dw = dyᵀ · x). Both sides are transposed once
 * ([N, rows] and [K, rows]) so the product runs on the tiled matmul kernel (matmul.ts: its SIMD tile where WebAssembly SIMD
 * runs).
 */
export function matmulTN(a: HostTensor, b: HostTensor): HostTensor<'f32'> {
  const n = a.shape[a.shape.length - 1];
  const k = b.shape[b.shape.length - 1];
  const rows = a.data.length / n;
  const aT = f32([n, rows], transposed(a.data as Float32Array, rows, n)); // [N, rows]
  const bT = f32([k, rows], transposed(b.data as Float32Array, rows, k)); // [K, rows]
  return matmul(aT, bT);
}
