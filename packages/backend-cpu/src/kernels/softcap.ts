import { f32, type HostTensor } from '@xlora/core';

/** cap · tanh(x / cap), elementwise (the f32 steps of transformers' Gemma 2 softcapping: divide, tanh, multiply). */
export function softcap(x: HostTensor, cap: number): HostTensor<'f32'> {
  const fr = Math.fround;
  const out = f32(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = fr(cap * fr(Math.tanh(fr(x.data[i] / cap))));
  return out;
}
