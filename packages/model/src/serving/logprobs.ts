/** A token and its log-probability under the model (log-softmax of the raw logits, before any sampling change). */
export interface TokenLogprob {
  token: number;
  logprob: number;
}

/** log Σ exp(row), computed around the maximum (f64). */
function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/**
 * The chosen token's log-probability and the `top` most likely tokens of a [V] logits row (most likely first; ties
 * by the lower id, as argmax picks).
 */
export function tokenLogprobs(row: Float32Array, chosen: number, top: number): { logprob: number; top: TokenLogprob[] } {
  const lse = logSumExp(row);
  const best: number[] = []; // ids, kept sorted by (logit desc, id asc), at most `top`
  if (top > 0) {
    for (let i = 0; i < row.length; i++) {
      if (best.length === top && row[i] <= row[best[top - 1]]) continue;
      let at = best.length;
      while (at > 0 && row[best[at - 1]] < row[i]) at--;
      best.splice(at, 0, i);
      if (best.length > top) best.pop();
    }
  }
  return { logprob: row[chosen] - lse, top: best.map((token) => ({ token, logprob: row[token] - lse })) };
}
