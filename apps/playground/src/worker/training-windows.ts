import { InputError } from '@xlora/core';

/**
 * Text → training batches for the train panel: the token ids of the whole text cut into fixed-length windows
 * (non-overlapping, in order). Every full window is all tokens; the tail (when it has at least 2 tokens, the least
 * a causal-LM loss can count) is padded on the right with attention 0 and label −100. Labels equal the input ids:
 * the shift happens inside the loss (position t−1 predicts labels[t]), as in transformers.
 */

/** transformers' ignore index for labels that are not counted */
export const IGNORED_LABEL = -100;

/** One window set as flat row-major [rows, seqLen] arrays (i32 values), ready for i32([rows, seqLen], …). */
export interface TokenWindows {
  rows: number;
  seqLen: number;
  inputIds: number[];
  attentionMask: number[];
  labels: number[];
}

/** Caps what a pasted text can make the worker allocate and loop over. */
export const MAX_SEQ_LEN = 1024;
export const MAX_WINDOWS = 4096;

export function textWindows(ids: readonly number[], seqLen: number, padId: number): TokenWindows {
  if (!(Number.isInteger(seqLen) && seqLen >= 2 && seqLen <= MAX_SEQ_LEN)) {
    throw new InputError(`window length must be an integer in [2, ${MAX_SEQ_LEN}], got ${seqLen}`);
  }
  const full = Math.floor(ids.length / seqLen);
  const tail = ids.length - full * seqLen;
  const rows = full + (tail >= 2 ? 1 : 0);
  if (rows === 0) throw new InputError(`the text has ${ids.length} token${ids.length === 1 ? '' : 's'}: a training window needs at least 2`);
  if (rows > MAX_WINDOWS) throw new InputError(`the text makes ${rows} windows of ${seqLen} tokens; at most ${MAX_WINDOWS} (shorten the text or lengthen the windows)`);
  const inputIds: number[] = [];
  const attentionMask: number[] = [];
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < seqLen; t++) {
      const at = r * seqLen + t;
      const real = at < ids.length;
      inputIds.push(real ? ids[at] : padId);
      attentionMask.push(real ? 1 : 0);
      labels.push(real ? ids[at] : IGNORED_LABEL);
    }
  }
  return { rows, seqLen, inputIds, attentionMask, labels };
}

/** Rows [first, first+count) of the windows, wrapping around the end (the batch of one optimizer step). */
export function windowBatch(w: TokenWindows, first: number, count: number): TokenWindows {
  const n = Math.min(count, w.rows);
  const pick = (a: number[]) => {
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const r = (first + k) % w.rows;
      for (let t = 0; t < w.seqLen; t++) out.push(a[r * w.seqLen + t]);
    }
    return out;
  };
  return { rows: n, seqLen: w.seqLen, inputIds: pick(w.inputIds), attentionMask: pick(w.attentionMask), labels: pick(w.labels) };
}
