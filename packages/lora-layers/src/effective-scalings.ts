import { effectiveScalingsInPlace, f32, type HostTensor } from '@xlora/core';

/** [B,S,L,C] scalings as each layer uses them (after top-k and softmax-over-top-k); PEFT's "effective" scalings. */
export function effectiveScalings(scalings: HostTensor, topK: number | null, softmaxTopK: boolean): HostTensor<'f32'> {
  const out = f32(scalings.shape, Float32Array.from(scalings.data as Float32Array));
  const c = scalings.shape[scalings.shape.length - 1];
  for (let o = 0; o < out.data.length; o += c) {
    const row = out.data.subarray(o, o + c);
    effectiveScalingsInPlace(row, topK, softmaxTopK);
  }
  return out;
}
