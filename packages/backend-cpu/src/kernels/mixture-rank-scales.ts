import { effectiveScalingsInPlace, type HostTensor, type XLoraMixtureAttrs } from '@xlora/core';

/** Per token, what an X-LoRA mixture multiplies each rank row by, and where its scalings row sits. */
export interface MixtureRankScales {
  /** [T, R]: e·g, e = the token's effective scaling of the expert owning rank row r (0 for rows in no segment) */
  readonly scale: Float32Array;
  /** [T]: offset of the token's raw scalings row in the (broadcast) scalings tensor */
  readonly rowAt: Int32Array;
}

/**
 * The layer's scalings row of each token [B,S] (broadcast from [B|1,S|1,Lc,C]), after top-k / softmax-top-k, spread
 * over the rank rows of each expert's segment and times the global weight.
 */
export function mixtureRankScales(scalings: HostTensor, attrs: XLoraMixtureAttrs, batch: number, seq: number, rank: number): MixtureRankScales {
  const [sb, ss, sl, nExp] = scalings.shape;
  const layer = sl === 1 ? 0 : attrs.layer;
  const scale = new Float32Array(batch * seq * rank);
  const rowAt = new Int32Array(batch * seq);
  const row = new Float32Array(nExp);
  for (let bi = 0; bi < batch; bi++) {
    for (let si = 0; si < seq; si++) {
      const t = bi * seq + si;
      const so = (((sb === 1 ? 0 : bi) * ss + (ss === 1 ? 0 : si)) * sl + layer) * nExp;
      rowAt[t] = so;
      for (let c = 0; c < nExp; c++) row[c] = scalings.data[so + c];
      effectiveScalingsInPlace(row, attrs.topK, attrs.softmaxTopK);
      for (const seg of attrs.segments) {
        const s = row[seg.expert] * attrs.globalWeight;
        for (let r = seg.offset; r < seg.offset + seg.rank; r++) scale[t * rank + r] = s;
      }
    }
  }
  return { scale, rowAt };
}
