import { f32, type HostTensor } from '@xlora/core';

/** y = softmax(x/T) over the last axis: dx = y ⊙ (dy − Σ y⊙dy) / T. */
export function softmaxGrad(y: HostTensor, dy: HostTensor, temperature: number): HostTensor<'f32'> {
  const n = y.shape[y.shape.length - 1];
  const out = f32(y.shape);
  for (let r = 0; r < y.data.length / n; r++) {
    const o = r * n;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += y.data[o + i] * dy.data[o + i];
    for (let i = 0; i < n; i++) out.data[o + i] = (y.data[o + i] * (dy.data[o + i] - dot)) / temperature;
  }
  return out;
}
