import { f32, type HostTensor } from '@xlora/core';

/** An f32 tensor of normal samples with standard deviation `std` around `mean`. */
export function randn(next: () => number, shape: number[], std: number, mean = 0): HostTensor<'f32'> {
  const t = f32(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * next();
  return t;
}
