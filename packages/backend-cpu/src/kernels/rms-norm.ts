import { f32, type HostTensor } from '@xlora/core';

/** x [...,H], w [H] -> x / sqrt(mean(x²) + eps) · w, computed as HF Llama does (f32 variance, then rsqrt). */
export function rmsNorm(x: HostTensor, w: HostTensor, eps: number): HostTensor<'f32'> {
  const h = w.data.length;
  const out = f32(x.shape);
  for (let r = 0; r < x.data.length / h; r++) {
    const o = r * h;
    let ss = 0;
    for (let i = 0; i < h; i++) ss += x.data[o + i] * x.data[o + i];
    const inv = Math.fround(1 / Math.sqrt(Math.fround(ss / h) + eps));
    for (let i = 0; i < h; i++) out.data[o + i] = w.data[i] * Math.fround(x.data[o + i] * inv);
  }
  return out;
}
