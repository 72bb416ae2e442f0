import { f32, stridesOf, type HostTensor, type SliceAttrs } from '@xlora/core';

/** Zeros shaped like x with dy written at the range Slice took (its backward). */
export function sliceGrad(dy: HostTensor, x: HostTensor, attrs: SliceAttrs): HostTensor<'f32'> {
  const len = x.shape[attrs.axis];
  const start = Math.min(Math.max(attrs.start < 0 ? attrs.start + len : attrs.start, 0), len);
  const out = f32(x.shape);
  const outer = x.shape.slice(0, attrs.axis).reduce((a, b) => a * b, 1);
  const inner = stridesOf(x.shape)[attrs.axis];
  const take = dy.shape[attrs.axis] * inner;
  for (let o = 0; o < outer; o++) {
    out.data.set((dy.data as Float32Array).subarray(o * take, (o + 1) * take), (o * len + start) * inner);
  }
  return out;
}
