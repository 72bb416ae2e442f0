import { f32, type HostTensor } from '@xlora/core';

/**
 * x [...,K] · w[N,K]ᵀ (+ bias [N]) -> [...,N]. Rows of x and w are contiguous, so each output is a dot product.
 * Register tile: 2 rows of x × 4 rows of w per pass over K (8 independent accumulators, each loaded value
 * used 2–4 times); leftovers fall back to narrower tiles.
 */
export function matmul(x: HostTensor, w: HostTensor, bias?: HostTensor): HostTensor<'f32'> {
  const [n, k] = w.shape;
  const rows = x.data.length / k;
  const out = f32([...x.shape.slice(0, -1), n]);
  const xs = x.data as Float32Array;
  const ws = w.data as Float32Array;
  const o = out.data;
  let r = 0;
  for (; r + 2 <= rows; r += 2) rowPair(xs, ws, o, r, n, k);
  if (r < rows) singleRow(xs, ws, o, r, n, k);
  if (bias) {
    const bs = bias.data as Float32Array;
    for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) o[i * n + c] += bs[c];
  }
  return out;
}

function rowPair(xs: Float32Array, ws: Float32Array, o: Float32Array, r: number, n: number, k: number): void {
  const x0 = r * k, x1 = x0 + k;
  const o0 = r * n, o1 = o0 + n;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const w0 = j * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let i = 0; i < k; i++) {
      const u = xs[x0 + i], v = xs[x1 + i];
      const p = ws[w0 + i], q = ws[w1 + i], s = ws[w2 + i], t = ws[w3 + i];
      a0 += u * p; a1 += u * q; a2 += u * s; a3 += u * t;
      b0 += v * p; b1 += v * q; b2 += v * s; b3 += v * t;
    }
    o[o0 + j] = a0; o[o0 + j + 1] = a1; o[o0 + j + 2] = a2; o[o0 + j + 3] = a3;
    o[o1 + j] = b0; o[o1 + j + 1] = b1; o[o1 + j + 2] = b2; o[o1 + j + 3] = b3;
  }
  for (; j < n; j++) {
    const w0 = j * k;
    let a = 0, b = 0;
    for (let i = 0; i < k; i++) {
      a += xs[x0 + i] * ws[w0 + i];
      b += xs[x1 + i] * ws[w0 + i];
    }
    o[o0 + j] = a;
    o[o1 + j] = b;
  }
}

function singleRow(xs: Float32Array, ws: Float32Array, o: Float32Array, r: number, n: number, k: number): void {
  const x0 = r * k, o0 = r * n;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const w0 = j * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < k; i++) {
      const u = xs[x0 + i];
      s0 += u * ws[w0 + i]; s1 += u * ws[w1 + i]; s2 += u * ws[w2 + i]; s3 += u * ws[w3 + i];
    }
    o[o0 + j] = s0; o[o0 + j + 1] = s1; o[o0 + j + 2] = s2; o[o0 + j + 3] = s3;
  }
  for (; j < n; j++) {
    const w0 = j * k;
    let s = 0;
    for (let i = 0; i < k; i++) s += xs[x0 + i] * ws[w0 + i];
    o[o0 + j] = s;
  }
}
