import { f32, type HostTensor } from '@xlora/core';

/** Σ_rows a[r,:]ᵀ b[r,:]: a [...,N], b [...,K] -> [N,K] (MatMul's dw = dyᵀ · x). f64 accumulators. */
export function matmulTN(a: HostTensor, b: HostTensor): HostTensor<'f32'> {
  const n = a.shape[a.shape.length - 1];
  const k = b.shape[b.shape.length - 1];
  const rows = a.data.length / n;
  const acc = new Float64Array(n * k);
  const ad = a.data as Float32Array, bd = b.data as Float32Array;
  for (let r = 0; r < rows; r++) {
    const bo = r * k;
    for (let j = 0; j < n; j++) {
      const av = ad[r * n + j];
      if (av === 0) continue;
      const o = j * k;
      for (let c = 0; c < k; c++) acc[o + c] += av * bd[bo + c];
    }
  }
  return f32([n, k], Float32Array.from(acc));
}
