import { effectiveScalingsInPlace, f32, type HostTensor, type XLoraMixtureAttrs } from '@xlora/core';

/**
 * y = base + g · B̂((Â x) ⊙ repeat(s, r)) per token, with the layer's scalings row after top-k / softmax-top-k.
 * x [B,S,in], base [B,S,out], a [R,in], b [out,R], scalings [B|1,S|1,Lc,C].
 */
export function xloraMixture(
  x: HostTensor, base: HostTensor, a: HostTensor, b: HostTensor, scalings: HostTensor, attrs: XLoraMixtureAttrs,
): HostTensor<'f32'> {
  const [batch, seq, din] = x.shape;
  const dout = base.shape[2];
  const rank = a.shape[0];
  const [sb, ss, sl, nExp] = scalings.shape;
  const layer = sl === 1 ? 0 : attrs.layer;
  const out = f32(base.shape, Float32Array.from(base.data as Float32Array));
  const row = new Float32Array(nExp);
  const mid = new Float32Array(rank); // [R] rank-space activations of one token
  const ad = a.data as Float32Array, bd = b.data as Float32Array, xd = x.data as Float32Array;
  for (let bi = 0; bi < batch; bi++) {
    for (let si = 0; si < seq; si++) {
      const so = (((sb === 1 ? 0 : bi) * ss + (ss === 1 ? 0 : si)) * sl + layer) * nExp;
      for (let c = 0; c < nExp; c++) row[c] = scalings.data[so + c];
      effectiveScalingsInPlace(row, attrs.topK, attrs.softmaxTopK);
      const xo = (bi * seq + si) * din;
      for (const seg of attrs.segments) {
        const s = row[seg.expert] * attrs.globalWeight;
        for (let r = seg.offset; r < seg.offset + seg.rank; r++) {
          let dot = 0;
          const ao = r * din;
          for (let i = 0; i < din; i++) dot += ad[ao + i] * xd[xo + i];
          mid[r] = dot * s;
        }
      }
      const oo = (bi * seq + si) * dout;
      for (let j = 0; j < dout; j++) {
        let acc = 0;
        const bo = j * rank;
        for (let r = 0; r < rank; r++) acc += bd[bo + r] * mid[r];
        out.data[oo + j] += acc;
      }
    }
  }
  return out;
}
