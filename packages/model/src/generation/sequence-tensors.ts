import { i32, type HostTensor } from '@xlora/core';

/** [B,S,Lc,C] → [B,1,Lc,C] at the last position. */
export function lastPosition(t: HostTensor<'f32'>): HostTensor<'f32'> {
  const [b, s, lc, c] = t.shape;
  const out = new Float32Array(b * lc * c);
  for (let i = 0; i < b; i++) out.set(t.data.subarray((i * s + s - 1) * lc * c, (i * s + s) * lc * c), i * lc * c);
  return { dtype: 'f32', shape: [b, 1, lc, c], data: out };
}

/** [B,T] mask → [B,T+1] with a 1 appended to every row. */
export function appendOnes(mask: HostTensor): HostTensor<'i32'> {
  const [batch, len] = mask.shape;
  const out = i32([batch, len + 1]);
  for (let b = 0; b < batch; b++) {
    out.data.set(mask.data.subarray(b * len, (b + 1) * len) as Int32Array, b * (len + 1));
    out.data[b * (len + 1) + len] = 1;
  }
  return out;
}
