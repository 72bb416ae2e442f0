import { f32, type HostTensor } from '@xlora/core';

/** x [...,K] · w[N,K]ᵀ (+ bias [N]) -> [...,N]. Rows of x and w are contiguous, so each output is one dot product. */
export function matmul(x: HostTensor, w: HostTensor, bias?: HostTensor): HostTensor<'f32'> {
  const [n, k] = w.shape;
  const rows = x.data.length / k;
  const out = f32([...x.shape.slice(0, -1), n]);
  const xs = x.data as Float32Array;
  const ws = w.data as Float32Array;
  const bs = bias?.data as Float32Array | undefined;
  const o = out.data;
  // 4 output columns per pass over an x row: fewer loads of x, independent accumulators.
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    const oo = r * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const w0 = j * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < k; i++) {
        const xv = xs[xo + i];
        s0 += xv * ws[w0 + i];
        s1 += xv * ws[w1 + i];
        s2 += xv * ws[w2 + i];
        s3 += xv * ws[w3 + i];
      }
      o[oo + j] = s0; o[oo + j + 1] = s1; o[oo + j + 2] = s2; o[oo + j + 3] = s3;
    }
    for (; j < n; j++) {
      const w0 = j * k;
      let s = 0;
      for (let i = 0; i < k; i++) s += xs[xo + i] * ws[w0 + i];
      o[oo + j] = s;
    }
    if (bs) for (let c = 0; c < n; c++) o[oo + c] += bs[c];
  }
  return out;
}
