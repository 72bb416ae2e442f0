import { f32, type HostTensor } from '@xlora/core';

/** a [...,N] · b [N,K] -> [...,K] (MatMul's dx = dy · w). Sums over N in order, f64 accumulators. */
export function matmulNN(a: HostTensor, b: HostTensor): HostTensor<'f32'> {
  const [n, k] = b.shape;
  const rows = a.data.length / n;
  const out = f32([...a.shape.slice(0, -1), k]);
  const ad = a.data as Float32Array, bd = b.data as Float32Array, o = out.data;
  const acc = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let j = 0; j < n; j++) {
      const av = ad[r * n + j];
      if (av === 0) continue;
      const bo = j * k;
      for (let c = 0; c < k; c++) acc[c] += av * bd[bo + c];
    }
    o.set(acc, r * k);
  }
  return out;
}
