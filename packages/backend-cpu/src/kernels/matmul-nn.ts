import { f32, type HostTensor } from '@xlora/core';
import { matmul } from './matmul.js';
import { transposed } from './transpose.js';

/**
 * a [...,N] · b [N,K] -> [...,K] (MatMul's dx = dy · w). b is transposed once per call (N·K copies against
 * rows·N·K products) so the product runs on the tiled matmul kernel (matmul.ts: its SIMD tile where WebAssembly SIMD runs).
 */
export function matmulNN(a: HostTensor, b: HostTensor): HostTensor<'f32'> {
  const [n, k] = b.shape;
  const bT = f32([k, n], transposed(b.data as Float32Array, n, k)); // [K, N]
  return matmul(a, bT);
}
