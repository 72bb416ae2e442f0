import { f32, type HostTensor } from '@xlora/core';

/** y = silu(g)·u: du = dy·silu(g), dg = dy·u·σ(g)·(1 + g·(1 − σ(g))). */
export function siluMulGrad(gate: HostTensor, up: HostTensor, dy: HostTensor): HostTensor<'f32'>[] {
  const dg = f32(gate.shape);
  const du = f32(up.shape);
  for (let i = 0; i < dg.data.length; i++) {
    const g = gate.data[i];
    const sig = 1 / (1 + Math.exp(-g));
    du.data[i] = dy.data[i] * g * sig;
    dg.data[i] = dy.data[i] * up.data[i] * sig * (1 + g * (1 - sig));
  }
  return [dg, du];
}
