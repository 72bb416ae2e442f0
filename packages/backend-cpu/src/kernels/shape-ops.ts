import { f32, stridesOf, type HostTensor, type SliceAttrs } from '@xlora/core';

/** Reshape shares the data: tensors are immutable once produced. */
export function reshape(x: HostTensor, shape: readonly number[]): HostTensor {
  return { dtype: x.dtype, shape: [...shape], data: x.data } as HostTensor;
}

export function slice(x: HostTensor, attrs: SliceAttrs, outShape: readonly number[]): HostTensor<'f32'> {
  const len = x.shape[attrs.axis];
  const start = Math.min(Math.max(attrs.start < 0 ? attrs.start + len : attrs.start, 0), len);
  const out = f32(outShape);
  const outer = x.shape.slice(0, attrs.axis).reduce((a, b) => a * b, 1);
  const inner = stridesOf(x.shape)[attrs.axis];
  const take = outShape[attrs.axis] * inner;
  for (let o = 0; o < outer; o++) {
    const src = (o * len + start) * inner;
    out.data.set((x.data as Float32Array).subarray(src, src + take), o * take);
  }
  return out;
}
