import { maskedSoftmaxInPlace } from '../reference/scalings.js';

/** Which entries top-k keeps (same selection and tie rule as topKMaskInPlace: larger first, lower index on ties). */
export function topKKeep(row: ArrayLike<number>, k: number | null): Uint8Array {
  const n = row.length;
  const keep = new Uint8Array(n);
  if (k === null || k >= n) return keep.fill(1);
  for (let chosen = 0; chosen < k; chosen++) {
    let best = -1;
    for (let c = 0; c < n; c++) {
      if (keep[c]) continue;
      if (best < 0 || row[c] > row[best]) best = c;
    }
    keep[best] = 1;
  }
  return keep;
}

/**
 * Backward of effectiveScalingsInPlace on one row of C raw scalings: dRow from dEff (the gradient w.r.t. the
 * scalings the layer used). Top-k multiplies by a 0/1 mask (PEFT: s · onehot(topk indices)), so unselected entries
 * get exactly 0; softmax-top-k is a softmax over the non-zero survivors (masked_fill(−inf) then masked_fill(0)).
 */
export function effectiveScalingsBackward(
  row: ArrayLike<number>, dEff: ArrayLike<number>, topK: number | null, softmaxTopK: boolean, dRow: Float64Array,
): void {
  const n = row.length;
  const keep = topKKeep(row, topK);
  if (!softmaxTopK) {
    for (let c = 0; c < n; c++) dRow[c] = keep[c] ? dEff[c] : 0;
    return;
  }
  const eff = new Float32Array(n);
  for (let c = 0; c < n; c++) eff[c] = keep[c] ? row[c] : 0;
  const survives = eff.map((v) => (v !== 0 ? 1 : 0));
  maskedSoftmaxInPlace(eff);
  let dot = 0;
  for (let c = 0; c < n; c++) if (survives[c]) dot += eff[c] * dEff[c];
  for (let c = 0; c < n; c++) dRow[c] = survives[c] ? eff[c] * (dEff[c] - dot) : 0;
}
