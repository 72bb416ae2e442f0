import { f32, type HostTensor } from '@xlora/core';

/** y = c·tanh(x/c): dx = dy·(1 − tanh²(x/c)). inputs: x, dy */
export function softcapGrad(x: HostTensor, dy: HostTensor, cap: number): HostTensor<'f32'> {
  const out = f32(x.shape);
  for (let i = 0; i < out.data.length; i++) {
    const th = Math.tanh(x.data[i] / cap);
    out.data[i] = dy.data[i] * (1 - th * th);
  }
  return out;
}
