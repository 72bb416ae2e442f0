import type { Tunables } from '../flags.js';
import { matmulChoice, matmulKernel, type MatmulVariant } from './matmul.js';
import type { WeightStorage } from './weight-load/index.js';

/**
 * The fused X-LoRA mixture, two dispatches for any number of experts:
 *   1. mid[m, r] = (Â x)[m, r] · s_eff(m, expert(r)) · g   — matmul with the `xlora` epilogue: the top-k mask and
 *      the softmax over the kept experts are evaluated per token inside the epilogue (no extra pass);
 *   2. y[m, j] = base[m, j] + Σ_r B̂[j, r] mid[m, r]        — matmul with the `residual` epilogue.
 * Rank rows map to experts through a small i32 table (-1: no expert), built once per node.
 */
export function mixtureDownKernel(tun: Tunables, rows: number, din: number, topK: boolean, softmaxTopK: boolean, w: WeightStorage = 'f32') {
  const v: MatmulVariant = { ...matmulChoice(tun, rows, din), epilogue: 'xlora', topK, softmaxTopK, w };
  return { variant: v, spec: matmulKernel(tun, v) };
}

export function mixtureUpKernel(tun: Tunables, rows: number, rank: number, w: WeightStorage = 'f32') {
  const v: MatmulVariant = { ...matmulChoice(tun, rows, rank), epilogue: 'residual', w };
  return { variant: v, spec: matmulKernel(tun, v) };
}

/** rank row -> expert index (-1 where no segment covers the row) */
export function rowExpertTable(rank: number, segments: readonly { expert: number; offset: number; rank: number }[]): Int32Array {
  const t = new Int32Array(Math.max(rank, 1)).fill(-1);
  for (const s of segments) for (let r = s.offset; r < s.offset + s.rank; r++) t[r] = s.expert;
  return t;
}
