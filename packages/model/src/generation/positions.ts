import { i32, type HostTensor } from '@xlora/core';

/** All-ones [B,S] mask. */
export function onesMask(batch: number, seq: number): HostTensor<'i32'> {
  return i32([batch, seq], new Int32Array(batch * seq).fill(1));
}

/** [B,S] positions 0..S-1 for every row (what a forward without position_ids uses). */
export function arangePositions(batch: number, seq: number): HostTensor<'i32'> {
  const t = i32([batch, seq]);
  for (let b = 0; b < batch; b++) for (let s = 0; s < seq; s++) t.data[b * seq + s] = s;
  return t;
}

/** transformers' generate: position_ids = cumsum(mask) − 1, with pad positions set to 1. */
export function positionsFromMask(mask: HostTensor): HostTensor<'i32'> {
  const [batch, seq] = mask.shape;
  const t = i32([batch, seq]);
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let s = 0; s < seq; s++) {
      const on = mask.data[b * seq + s] !== 0;
      if (on) count++;
      t.data[b * seq + s] = on ? count - 1 : 1;
    }
  }
  return t;
}

/**
 * transformers' generate without an attention_mask: when the pad token occurs in the prompt (and differs from
 * EOS), the mask is inferred as ids != pad; otherwise all ones.
 */
export function inferAttentionMask(inputIds: HostTensor, padTokenId: number | null | undefined, eosTokenIds: readonly number[]): HostTensor<'i32'> {
  const [batch, seq] = inputIds.shape;
  const canInfer = padTokenId !== null && padTokenId !== undefined && !eosTokenIds.includes(padTokenId) &&
    inputIds.data.some((id) => id === padTokenId);
  if (!canInfer) return onesMask(batch, seq);
  return i32([batch, seq], Int32Array.from(inputIds.data, (id) => (id === padTokenId ? 0 : 1)));
}
