import { f32, type HostTensor } from '@xlora/core';

/** softmax(x / temperature) over the last axis. */
export function softmax(x: HostTensor, temperature: number): HostTensor<'f32'> {
  const n = x.shape[x.shape.length - 1];
  const out = f32(x.shape);
  for (let r = 0; r < x.data.length / n; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, x.data[o + i] / temperature);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(x.data[o + i] / temperature - max);
      out.data[o + i] = e;
      sum += e;
    }
    for (let i = 0; i < n; i++) out.data[o + i] /= sum;
  }
  return out;
}
