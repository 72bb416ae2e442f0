import { f32, type HostTensor } from '@xlora/core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** gelu_tanh(gate) · up, gelu_tanh(g) = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))) (PyTorch's approximate="tanh") */
export function geluTanhMul(gate: HostTensor, up: HostTensor): HostTensor<'f32'> {
  const out = f32(gate.shape);
  for (let i = 0; i < out.data.length; i++) {
    const g = gate.data[i];
    out.data[i] = 0.5 * g * (1 + Math.tanh(SQRT_2_OVER_PI * (g + 0.044715 * g * g * g))) * up.data[i];
  }
  return out;
}
