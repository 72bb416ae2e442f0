/**
 * One row of x [K] as the fused weight-row dots read it, prepared once per matmul row and shared by every weight
 * row: the values widened to f64 (no f32 -> f64 conversion per load in the inner loops) and their sums over each
 * 16- and 32-value group (a block format's constant offset, −8 for q4_0, −32 for q6_k, −min for q4_k, is applied
 * once per block as offset·Σx instead of once per value).
 */
export interface XRow {
  /** [K] */
  readonly x: Float64Array;
  /** [K/16]: sum16[g] = Σ x[16g .. 16g+16) */
  readonly sum16: Float64Array;
  /** [K/32]: sum32[g] = Σ x[32g .. 32g+32) */
  readonly sum32: Float64Array;
}

/** One reused row: kernels run one at a time. */
let row: XRow = { x: new Float64Array(0), sum16: new Float64Array(0), sum32: new Float64Array(0) };

/** xs[x0 .. x0+k) prepared; the sums are only filled for whole groups (k a multiple of 16 or 32). */
export function xRow(xs: Float32Array, x0: number, k: number): XRow {
  if (row.x.length < k) row = { x: new Float64Array(k), sum16: new Float64Array(k >> 4), sum32: new Float64Array(k >> 5) };
  const { x, sum16, sum32 } = row;
  for (let i = 0; i < k; i++) x[i] = xs[x0 + i];
  for (let g = 0, i = 0; i + 16 <= k; g++) {
    let s = 0;
    for (const end = i + 16; i < end; i++) s += x[i];
    sum16[g] = s;
  }
  for (let g = 0; 2 * g + 1 < k >> 4; g++) sum32[g] = sum16[2 * g] + sum16[2 * g + 1];
  return row;
}
