import { f32, type HostTensor, type WeightTensor } from '@xlora/core';
import { simdKernel, simdMatmul } from './simd/simd-matmul.js';
import { weightRows, type WeightRows } from './weight-rows.js';
import { xRow } from './x-row.js';

/** Rows of w read (and, for a packed weight, decoded) at a time. */
const W_TILE = 4;

/**
 * x [...,K] · w[N,K]ᵀ (+ bias [N]) -> [...,N]. Rows of x and w are contiguous, so each output is a dot product.
 * w may be in any storage format: it is read four rows at a time (packed rows decoded once into a scratch, see
 * weight-rows.ts) and each tile of four rows serves every row of x before the next is read; a single row of x
 * (decode) is prepared once (x-row.ts) and takes the format's fused four-row dot, straight from the packed bytes
 * (block-dots.ts, row-dot.ts).
 * Where WebAssembly SIMD runs (simd/simd-matmul.ts), each tile of four weight rows goes to the SIMD kernel: 2 rows
 * of x × 4 weight rows per pass, f32 sums over four lanes. Otherwise, and with useSimdMatmul(false), the TypeScript
 * register tile: 2 rows of x × 4 rows of w per pass over K (8 independent accumulators, each loaded value used 2–4
 * times), leftovers on narrower tiles, each output summed over K in order in double precision.
 */
export function matmul(x: HostTensor, w: WeightTensor, bias?: HostTensor): HostTensor<'f32'> {
  const [n, k] = w.shape;
  const rows = x.data.length / k;
  const out = f32([...x.shape.slice(0, -1), n]);
  const xs = x.data as Float32Array;
  const o = out.data;
  const source = weightRows(w);
  if (rows === 1 && source.dot4) {
    // one row of x (decode): four weight rows' dots straight from their blocks, no decoded copy; the tail tiled
    const whole = n - (n % W_TILE);
    const x = xRow(xs, 0, k);
    for (let j = 0; j < whole; j += W_TILE) source.dot4(j, x, o, j);
    tiled(xs, source, o, rows, n, k, whole);
  } else {
    tiled(xs, source, o, rows, n, k, 0);
  }
  if (bias) {
    const bs = bias.data as Float32Array;
    for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) o[i * n + c] += bs[c];
  }
  return out;
}

/** Weight rows [from, n), four at a time, each tile serving every row of x (pairs, then a single row). */
function tiled(xs: Float32Array, source: WeightRows, o: Float32Array, rows: number, n: number, k: number, from: number): void {
  const simd = simdKernel();
  if (simd && k > 0) {
    simdMatmul(simd, xs, source, o, rows, n, k, from);
    return;
  }
  for (let j = from; j < n; j += W_TILE) {
    const count = Math.min(W_TILE, n - j);
    const { data: ws, offset } = source.read(j, count);
    if (count === W_TILE) {
      let r = 0;
      for (; r + 2 <= rows; r += 2) pairByFour(xs, ws, offset, o, r, j, n, k);
      if (r < rows) oneByFour(xs, ws, offset, o, r, j, n, k);
    } else {
      for (let c = 0; c < count; c++) {
        for (let r = 0; r < rows; r++) o[r * n + j + c] = dot(xs, r * k, ws, offset + c * k, k);
      }
    }
  }
}

/** outputs [r, r+1] × [j, j+4) from x rows r, r+1 and the four w rows at ws[w0..] */
function pairByFour(xs: Float32Array, ws: Float32Array, w0: number, o: Float32Array, r: number, j: number, n: number, k: number): void {
  const x0 = r * k, x1 = x0 + k;
  const w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  for (let i = 0; i < k; i++) {
    const u = xs[x0 + i], v = xs[x1 + i];
    const p = ws[w0 + i], q = ws[w1 + i], s = ws[w2 + i], t = ws[w3 + i];
    a0 += u * p; a1 += u * q; a2 += u * s; a3 += u * t;
    b0 += v * p; b1 += v * q; b2 += v * s; b3 += v * t;
  }
  const o0 = r * n + j, o1 = o0 + n;
  o[o0] = a0; o[o0 + 1] = a1; o[o0 + 2] = a2; o[o0 + 3] = a3;
  o[o1] = b0; o[o1 + 1] = b1; o[o1 + 2] = b2; o[o1 + 3] = b3;
}

/** outputs [r] × [j, j+4) */
function oneByFour(xs: Float32Array, ws: Float32Array, w0: number, o: Float32Array, r: number, j: number, n: number, k: number): void {
  const x0 = r * k;
  const w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i < k; i++) {
    const u = xs[x0 + i];
    s0 += u * ws[w0 + i]; s1 += u * ws[w1 + i]; s2 += u * ws[w2 + i]; s3 += u * ws[w3 + i];
  }
  const o0 = r * n + j;
  o[o0] = s0; o[o0 + 1] = s1; o[o0 + 2] = s2; o[o0 + 3] = s3;
}

function dot(xs: Float32Array, x0: number, ws: Float32Array, w0: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += xs[x0 + i] * ws[w0 + i];
  return s;
}
