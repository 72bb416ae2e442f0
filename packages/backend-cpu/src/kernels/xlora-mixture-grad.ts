import { effectiveScalingsBackward, effectiveScalingsInPlace, f32, type HostTensor, type XLoraMixtureAttrs } from '@xlora/core';

/**
 * XLoraMixture backward, per token with e = the layer's effective scalings (after top-k / softmax-top-k), g the
 * global weight, u = Â x (rank space), m = u ⊙ repeat(e·g):  y = base + B̂ m.
 *   dm = B̂ᵀ dy,  dB̂ += dy mᵀ,  dÂ_r += dm_r·e·g·x,  dx += Σ_r dm_r·e·g·Â_r,  de_c = g·Σ_{r∈c} dm_r u_r
 * then de goes back through top-k (0/1 mask) and softmax-top-k into the raw scalings row (effectiveScalingsBackward),
 * summed into the broadcast scalings slot [B|1, S|1, layer|0, :].
 * Returns [dx [B,S,in], da [R,in], db [out,R], dscalings (scalings' shape)].
 */
export function xloraMixtureGrad(
  x: HostTensor, a: HostTensor, b: HostTensor, scalings: HostTensor, dy: HostTensor, attrs: XLoraMixtureAttrs,
): HostTensor<'f32'>[] {
  const [batch, seq, din] = x.shape;
  const dout = b.shape[0];
  const rank = a.shape[0];
  const [sb, ss, sl, nExp] = scalings.shape;
  const layer = sl === 1 ? 0 : attrs.layer;
  const ad = a.data as Float32Array, bd = b.data as Float32Array, xd = x.data as Float32Array, gd = dy.data as Float32Array;
  const dx = f32(x.shape);
  const da = new Float64Array(a.data.length);
  const db = new Float64Array(b.data.length);
  const dsc = new Float64Array(scalings.data.length);
  const raw = new Float32Array(nExp);
  const eff = new Float32Array(nExp);
  const dEff = new Float64Array(nExp);
  const dRow = new Float64Array(nExp);
  const rowScale = new Float64Array(rank); // e·g of the expert owning rank row r
  const u = new Float64Array(rank);
  const dm = new Float64Array(rank);
  for (let bi = 0; bi < batch; bi++) {
    for (let si = 0; si < seq; si++) {
      const so = (((sb === 1 ? 0 : bi) * ss + (ss === 1 ? 0 : si)) * sl + layer) * nExp;
      for (let c = 0; c < nExp; c++) raw[c] = scalings.data[so + c];
      eff.set(raw);
      effectiveScalingsInPlace(eff, attrs.topK, attrs.softmaxTopK);
      const xo = (bi * seq + si) * din;
      const yo = (bi * seq + si) * dout;
      rowScale.fill(0);
      for (const seg of attrs.segments) {
        for (let r = seg.offset; r < seg.offset + seg.rank; r++) {
          rowScale[r] = eff[seg.expert] * attrs.globalWeight;
          let dot = 0;
          for (let i = 0; i < din; i++) dot += ad[r * din + i] * xd[xo + i];
          u[r] = dot;
        }
      }
      dm.fill(0);
      for (let j = 0; j < dout; j++) {
        const g = gd[yo + j];
        if (g === 0) continue;
        for (let r = 0; r < rank; r++) {
          dm[r] += bd[j * rank + r] * g;
          db[j * rank + r] += g * u[r] * rowScale[r];
        }
      }
      for (let r = 0; r < rank; r++) {
        const k = dm[r] * rowScale[r];
        if (k === 0) continue;
        for (let i = 0; i < din; i++) {
          da[r * din + i] += k * xd[xo + i];
          dx.data[xo + i] += k * ad[r * din + i];
        }
      }
      dEff.fill(0);
      for (const seg of attrs.segments) {
        let s = 0;
        for (let r = seg.offset; r < seg.offset + seg.rank; r++) s += dm[r] * u[r];
        dEff[seg.expert] += attrs.globalWeight * s;
      }
      effectiveScalingsBackward(raw, dEff, attrs.topK, attrs.softmaxTopK, dRow);
      for (let c = 0; c < nExp; c++) dsc[so + c] += dRow[c];
    }
  }
  return [dx, f32(a.shape, Float32Array.from(da)), f32(b.shape, Float32Array.from(db)), f32(scalings.shape, Float32Array.from(dsc))];
}
