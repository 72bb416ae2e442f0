import { f32, type HostTensor } from '@xlora/core';

/** dx = x > 0 ? dy : 0 (torch's convention: no gradient at 0). */
export function reluGrad(x: HostTensor, dy: HostTensor): HostTensor<'f32'> {
  const out = f32(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[i] > 0 ? dy.data[i] : 0;
  return out;
}
