import { f32, type HostTensor } from '@xlora/core';

/**
 * RmsNorm backward, y = w ⊙ x·inv with inv = (mean(x²) + eps)^-½:
 *   dw = Σ_rows dy ⊙ x·inv,   dx = inv·(w⊙dy) − inv³ · x · Σ(w⊙dy⊙x) / H
 */
export function rmsNormGrad(x: HostTensor, w: HostTensor, dy: HostTensor, eps: number): HostTensor<'f32'>[] {
  const h = w.data.length;
  const dx = f32(x.shape);
  const dw = new Float64Array(h);
  const xd = x.data as Float32Array, wd = w.data as Float32Array, gd = dy.data as Float32Array;
  for (let r = 0; r < xd.length / h; r++) {
    const o = r * h;
    let ss = 0;
    for (let i = 0; i < h; i++) ss += xd[o + i] * xd[o + i];
    const inv = 1 / Math.sqrt(ss / h + eps);
    let dot = 0;
    for (let i = 0; i < h; i++) {
      dot += wd[i] * gd[o + i] * xd[o + i];
      dw[i] += gd[o + i] * xd[o + i] * inv;
    }
    const k = (inv * inv * inv * dot) / h;
    for (let i = 0; i < h; i++) dx.data[o + i] = inv * wd[i] * gd[o + i] - k * xd[o + i];
  }
  return [dx, f32([h], Float32Array.from(dw))];
}
