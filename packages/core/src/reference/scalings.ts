/**
 * Per-layer scaling rules of PEFT's XLoraLayer.get_maybe_topk_scalings, on one row of C expert scalings.
 * Shared by every host-side computation (backend-cpu's mixture kernel, effective-scalings reports).
 */

/** Keeps the k largest entries (ties: lower index first, as a stable sort), sets the others to exactly 0. In place. */
export function topKMaskInPlace(row: Float32Array | number[], k: number): void {
  const n = row.length;
  if (k >= n) return;
  const keep = new Uint8Array(n);
  for (let chosen = 0; chosen < k; chosen++) {
    let best = -1;
    for (let c = 0; c < n; c++) {
      if (keep[c]) continue;
      if (best < 0 || row[c] > row[best]) best = c;
    }
    keep[best] = 1;
  }
  for (let c = 0; c < n; c++) if (!keep[c]) row[c] = 0;
}

/** Softmax over the non-zero entries; zero entries stay 0 and an all-zero row stays all zero. In place. */
export function maskedSoftmaxInPlace(row: Float32Array | number[]): void {
  let max = -Infinity;
  for (let c = 0; c < row.length; c++) if (row[c] !== 0 && row[c] > max) max = row[c];
  if (max === -Infinity) return;
  let sum = 0;
  for (let c = 0; c < row.length; c++) {
    if (row[c] !== 0) {
      row[c] = Math.exp(row[c] - max);
      sum += row[c];
    }
  }
  for (let c = 0; c < row.length; c++) if (row[c] !== 0) row[c] /= sum;
}

/** The scalings one layer actually uses, from the classifier's row (after softmax, before top-k). In place. */
export function effectiveScalingsInPlace(row: Float32Array | number[], topK: number | null, softmaxTopK: boolean): void {
  if (topK !== null) topKMaskInPlace(row, topK);
  if (softmaxTopK) maskedSoftmaxInPlace(row);
}
