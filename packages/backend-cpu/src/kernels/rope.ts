import { f32, type HostTensor, type RopeAttrs } from '@xlora/core';

/**
 * x [B,S,nH*hd], positionIds [B,S]. HF rotate_half: for i < hd/2, with angle = f32(pos · invFreq[i]):
 *   y[i]      = x[i]·cos − x[i+hd/2]·sin
 *   y[i+hd/2] = x[i+hd/2]·cos + x[i]·sin
 */
export function rope(x: HostTensor, positionIds: HostTensor, attrs: RopeAttrs): HostTensor<'f32'> {
  return rotate(x, positionIds, attrs, 1);
}

/**
 * The rotation by `direction`·angle: 1 is rope, −1 its transpose (rope backward: the same f32 angles, sin negated,
 * which is exact, so the backward is bit for bit the rotation by the opposite angles).
 */
export function rotate(x: HostTensor, positionIds: HostTensor, attrs: RopeAttrs, direction: 1 | -1): HostTensor<'f32'> {
  const { numHeads, headDim, invFreq, attentionFactor } = attrs;
  const half = headDim / 2;
  const out = f32(x.shape);
  const tokens = positionIds.data.length;
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  for (let t = 0; t < tokens; t++) {
    const pos = positionIds.data[t];
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * invFreq[i]);
      cos[i] = Math.cos(angle) * attentionFactor;
      sin[i] = direction * Math.sin(angle) * attentionFactor;
    }
    for (let h = 0; h < numHeads; h++) {
      const o = (t * numHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const a = x.data[o + i];
        const b = x.data[o + i + half];
        out.data[o + i] = a * cos[i] - b * sin[i];
        out.data[o + i + half] = b * cos[i] + a * sin[i];
      }
    }
  }
  return out;
}
