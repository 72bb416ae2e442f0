import { f32, type HostTensor, type RopeAttrs } from '@xlora/core';

/**
 * Rope backward: the rotation's transpose, i.e. rope with negated angles (same f32 angles as rope.ts):
 *   dx[i] = dy[i]·cos + dy[i+hd/2]·sin,   dx[i+hd/2] = dy[i+hd/2]·cos − dy[i]·sin
 */
export function ropeGrad(dy: HostTensor, positionIds: HostTensor, attrs: RopeAttrs): HostTensor<'f32'> {
  const { numHeads, headDim, invFreq, attentionFactor } = attrs;
  const half = headDim / 2;
  const out = f32(dy.shape);
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  for (let t = 0; t < positionIds.data.length; t++) {
    const pos = positionIds.data[t];
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * invFreq[i]);
      cos[i] = Math.cos(angle) * attentionFactor;
      sin[i] = Math.sin(angle) * attentionFactor;
    }
    for (let h = 0; h < numHeads; h++) {
      const o = (t * numHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const a = dy.data[o + i];
        const b = dy.data[o + i + half];
        out.data[o + i] = a * cos[i] + b * sin[i];
        out.data[o + i + half] = b * cos[i] - a * sin[i];
      }
    }
  }
  return out;
}
