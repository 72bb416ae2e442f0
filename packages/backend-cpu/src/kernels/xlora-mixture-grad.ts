import { effectiveScalingsBackward, f32, type HostTensor, type XLoraMixtureGradAttrs } from '@xlora/core';
import { matmul } from './matmul.js';
import { matmulNN } from './matmul-nn.js';
import { matmulTN } from './matmul-tn.js';
import { mixtureRankScales } from './mixture-rank-scales.js';

/**
 * XLoraMixture backward, per token with e = the layer's effective scalings (after top-k / softmax-top-k), g the
 * global weight, u = Â x (rank space), m = u ⊙ repeat(e·g):  y = base + B̂ m.
 *   dm = B̂ᵀ dy,  dB̂ = Σ_t dy mᵀ,  dÂ = Σ_t (dm ⊙ e·g) xᵀ,  dx = Âᵀ (dm ⊙ e·g),  de_c = g·Σ_{r∈c} dm_r u_r
 * over all tokens at once with the register-tiled products; de goes back through top-k (0/1 mask) and
 * softmax-top-k into the raw scalings row (effectiveScalingsBackward), summed into the broadcast scalings slot
 * [B|1, S|1, layer|0, :]. dÂ and dB̂ are skipped (left zero) when attrs.adapterGrads is false: nothing reads them.
 * Returns [dx [B,S,in], da [R,in], db [out,R], dscalings (scalings' shape)].
 */
export function xloraMixtureGrad(
  x: HostTensor, a: HostTensor, b: HostTensor, scalings: HostTensor, dy: HostTensor, attrs: XLoraMixtureGradAttrs,
): HostTensor<'f32'>[] {
  const [batch, seq] = x.shape;
  const rank = a.shape[0];
  const tokens = batch * seq;
  const nExp = scalings.shape[3];
  const { scale, rowAt } = mixtureRankScales(scalings, attrs, batch, seq, rank); // [T, R]
  const u = matmul(x, a).data; // [T, R] = Â x
  const dm = matmulNN(dy, b).data; // [T, R] = dy · B̂
  const dms = f32([batch, seq, rank]); // [B, S, R] = dm ⊙ e·g
  for (let i = 0; i < dms.data.length; i++) dms.data[i] = dm[i] * scale[i];
  const dx = matmulNN(dms, a); // [B, S, in]
  const adapterGrads = attrs.adapterGrads !== false;
  const da = adapterGrads ? matmulTN(dms, x) : f32(a.shape); // [R, in]
  let db = f32(b.shape); // [out, R]
  if (adapterGrads) {
    const m = f32([tokens, rank]);
    for (let i = 0; i < m.data.length; i++) m.data[i] = u[i] * scale[i];
    db = matmulTN(dy, m);
  }
  const dsc = new Float64Array(scalings.data.length);
  const raw = new Float32Array(nExp);
  const dEff = new Float64Array(nExp);
  const dRow = new Float64Array(nExp);
  for (let t = 0; t < tokens; t++) {
    const so = rowAt[t];
    for (let c = 0; c < nExp; c++) raw[c] = scalings.data[so + c];
    dEff.fill(0);
    for (const seg of attrs.segments) {
      let s = 0;
      for (let r = seg.offset; r < seg.offset + seg.rank; r++) s += dm[t * rank + r] * u[t * rank + r];
      dEff[seg.expert] += attrs.globalWeight * s;
    }
    effectiveScalingsBackward(raw, dEff, attrs.topK, attrs.softmaxTopK, dRow);
    for (let c = 0; c < nExp; c++) dsc[so + c] += dRow[c];
  }
  return [dx, da, db, f32(scalings.shape, Float32Array.from(dsc))];
}
