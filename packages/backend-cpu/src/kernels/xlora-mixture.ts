import { f32, type HostTensor, type XLoraMixtureAttrs } from '@xlora/core';
import { matmul } from './matmul.js';
import { mixtureRankScales } from './mixture-rank-scales.js';

/**
 * y = base + g · B̂((Â x) ⊙ repeat(s, r)) per token, with the layer's scalings row after top-k / softmax-top-k.
 * x [B,S,in], base [B,S,out], a [R,in], b [out,R], scalings [B|1,S|1,Lc,C].
 * All tokens at once: two register-tiled products through the rank space, as PEFT computes lora_B(lora_A(x)·s).
 */
export function xloraMixture(
  x: HostTensor, base: HostTensor, a: HostTensor, b: HostTensor, scalings: HostTensor, attrs: XLoraMixtureAttrs,
): HostTensor<'f32'> {
  const [batch, seq] = x.shape;
  const rank = a.shape[0];
  const { scale } = mixtureRankScales(scalings, attrs, batch, seq, rank); // [T, R]
  const mid = matmul(x, a); // [B, S, R] = Â x
  const m = mid.data;
  for (let i = 0; i < m.length; i++) m[i] *= scale[i];
  const out = matmul(mid, b); // [B, S, out] = B̂ m
  const o = out.data, bd = base.data as Float32Array;
  for (let i = 0; i < o.length; i++) o[i] += bd[i];
  return out;
}
