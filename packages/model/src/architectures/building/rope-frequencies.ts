import type { BaseModelConfig, RopeScaling } from '@xlora/config';

/**
 * Rotary inverse frequencies as transformers computes them in f32: 1 / theta^(2i/d), then the rope_scaling rule
 * ('linear' divides by factor; 'llama3' smooths between the low and high frequency bands). LongRoPE: see longRope.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): number[] {
  const fr = Math.fround;
  const inv: number[] = [];
  for (let i = 0; i < headDim; i += 2) inv.push(fr(1 / fr(Math.pow(theta, fr(i / headDim)))));
  if (!scaling) return inv;
  if (scaling.ropeType === 'linear') return inv.map((f) => fr(f / scaling.factor));
  if (scaling.ropeType === 'longrope') throw new Error('longrope frequencies depend on the sequence length: use longRope()');
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

/**
 * Phi-3 LongRoPE as transformers 4.47 computes it (Phi3LongRoPEScaledRotaryEmbedding) on each forward: the long
 * factors when the largest position id + 1 exceeds original_max_position_embeddings, else the short ones;
 * inv_freq_i = 1 / (factor_i · theta^(2i/d)); cos and sin times sqrt(1 + ln(s) / ln(original)) with
 * s = max_position_embeddings / original (1 when s <= 1).
 */
export function longRope(config: BaseModelConfig, long: boolean): { invFreq: number[]; attentionFactor: number } {
  const fr = Math.fround;
  const scaling = config.ropeScaling;
  if (scaling?.ropeType !== 'longrope') throw new Error('longRope needs a longrope rope_scaling');
  const original = config.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings;
  const factors = long ? scaling.longFactor : scaling.shortFactor;
  const d = config.headDim;
  const invFreq = factors.map((f, i) => fr(1 / fr(fr(f) * fr(Math.pow(config.ropeTheta, fr((2 * i) / d))))));
  const s = config.maxPositionEmbeddings / original;
  return { invFreq, attentionFactor: s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(original)) };
}
