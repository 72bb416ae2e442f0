import { f32, type HostTensor } from '@xlora/core';

const K = Math.sqrt(2 / Math.PI);

/**
 * y = gelu_tanh(g)·u with gelu_tanh(g) = ½g(1 + tanh(k(g + 0.044715g³))), k = √(2/π):
 *   du = dy·gelu_tanh(g),  dg = dy·u·(½(1 + th) + ½g(1 − th²)·k(1 + 3·0.044715g²))
 */
export function geluTanhMulGrad(gate: HostTensor, up: HostTensor, dy: HostTensor): HostTensor<'f32'>[] {
  const dg = f32(gate.shape);
  const du = f32(up.shape);
  for (let i = 0; i < dg.data.length; i++) {
    const g = gate.data[i];
    const th = Math.tanh(K * (g + 0.044715 * g * g * g));
    du.data[i] = dy.data[i] * 0.5 * g * (1 + th);
    dg.data[i] = dy.data[i] * up.data[i] * (0.5 * (1 + th) + 0.5 * g * (1 - th * th) * K * (1 + 3 * 0.044715 * g * g));
  }
  return [dg, du];
}
