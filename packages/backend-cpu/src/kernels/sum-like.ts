import { f32, type HostTensor } from '@xlora/core';

/** Sums x down to like's shape (like broadcasts to x from the right, size-1 dims included). */
export function sumLike(x: HostTensor, like: HostTensor): HostTensor<'f32'> {
  const off = x.shape.length - like.shape.length;
  const acc = new Float64Array(like.data.length);
  const xStr: number[] = [];
  let s = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) { xStr[i] = s; s *= x.shape[i]; }
  const lStr: number[] = [];
  s = 1;
  for (let i = like.shape.length - 1; i >= 0; i--) { lStr[i] = like.shape[i] === 1 ? 0 : s; s *= like.shape[i]; }
  const xd = x.data as Float32Array;
  for (let i = 0; i < xd.length; i++) {
    let li = 0;
    for (let d = 0; d < like.shape.length; d++) li += (Math.floor(i / xStr[off + d]) % x.shape[off + d]) * lStr[d];
    acc[li] += xd[i];
  }
  return f32(like.shape, Float32Array.from(acc));
}
