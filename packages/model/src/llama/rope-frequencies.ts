import type { RopeScaling } from '@xlora/config';

/**
 * Rotary inverse frequencies as transformers computes them in f32: 1 / theta^(2i/d), then the rope_scaling rule
 * ('linear' divides by factor; 'llama3' smooths between the low and high frequency bands).
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): number[] {
  const fr = Math.fround;
  const inv: number[] = [];
  for (let i = 0; i < headDim; i += 2) inv.push(fr(1 / fr(Math.pow(theta, fr(i / headDim)))));
  if (!scaling) return inv;
  if (scaling.ropeType === 'linear') return inv.map((f) => fr(f / scaling.factor));
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: oldCtx } = scaling;
  const lowWavelen = oldCtx / low;
  const highWavelen = oldCtx / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return fr(f / factor);
    const smooth = (oldCtx / wavelen - low) / (high - low);
    return fr((1 - smooth) * (f / factor) + smooth * f);
  });
}
