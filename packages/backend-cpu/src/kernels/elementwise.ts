import { f32, type HostTensor } from '@xlora/core';

/** a op b, b broadcast from the right (its shape is a suffix of a's, with 1s allowed). */
function binary(a: HostTensor, b: HostTensor, fn: (x: number, y: number) => number): HostTensor<'f32'> {
  const out = f32(a.shape);
  const bn = b.data.length;
  const ad = a.data, bd = b.data, o = out.data;
  if (bn === ad.length) {
    for (let i = 0; i < o.length; i++) o[i] = fn(ad[i], bd[i]);
  } else {
    // map each a index to b's index by dropping leading dims and zeroing broadcast (size-1) dims
    const off = a.shape.length - b.shape.length;
    const aStr: number[] = [];
    let s = 1;
    for (let i = a.shape.length - 1; i >= 0; i--) { aStr[i] = s; s *= a.shape[i]; }
    const bStr: number[] = [];
    s = 1;
    for (let i = b.shape.length - 1; i >= 0; i--) { bStr[i] = b.shape[i] === 1 ? 0 : s; s *= b.shape[i]; }
    for (let i = 0; i < o.length; i++) {
      let bi = 0;
      for (let d = 0; d < b.shape.length; d++) bi += (Math.floor(i / aStr[off + d]) % a.shape[off + d]) * bStr[d];
      o[i] = fn(ad[i], bd[bi]);
    }
  }
  return out;
}

export const add = (a: HostTensor, b: HostTensor) => binary(a, b, (x, y) => x + y);
export const mul = (a: HostTensor, b: HostTensor) => binary(a, b, (x, y) => x * y);

export function relu(x: HostTensor): HostTensor<'f32'> {
  const out = f32(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[i] > 0 ? x.data[i] : 0;
  return out;
}

/** silu(gate) · up, silu(g) = g / (1 + e^-g) */
export function siluMul(gate: HostTensor, up: HostTensor): HostTensor<'f32'> {
  const out = f32(gate.shape);
  for (let i = 0; i < out.data.length; i++) {
    const g = gate.data[i];
    out.data[i] = (g / (1 + Math.exp(-g))) * up.data[i];
  }
  return out;
}
