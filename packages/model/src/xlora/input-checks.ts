import { InputError, type HostTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';

/**
 * What callers feed the model, checked once here, above the backends, so that cpu, webgpu and ONNX Runtime fail
 * the same way on bad input (a backend's own kernels never see an id outside the vocabulary or an empty batch).
 */

const CONTEXT_FIELD = 'max_position_embeddings in config.json';

/** Checks an i32 [batch, seq] tensor with batch, seq >= 1; when `like` is given its shape must equal it. */
function checkShape(t: HostTensor, name: string, like?: readonly number[]): [number, number] {
  if (typeof t !== 'object' || t === null || !('dtype' in t) || !Array.isArray(t.shape)) {
    throw new InputError(`${name} must be an i32 tensor [batch, seq], got ${t === null ? 'null' : typeof t}`);
  }
  if (t.dtype !== 'i32' || t.shape.length !== 2 || !(t.data instanceof Int32Array)) {
    throw new InputError(`${name} must be an i32 tensor [batch, seq], got ${t.dtype} [${t.shape}]`);
  }
  const [batch, seq] = t.shape;
  if (like && (batch !== like[0] || seq !== like[1])) {
    throw new InputError(`${name} has shape [${t.shape}], expected [${like[0]}, ${like[1]}] like input_ids`);
  }
  if (!(Number.isInteger(batch) && Number.isInteger(seq) && batch >= 1 && seq >= 1)) {
    throw new InputError(`${name} has shape [${t.shape}]: it needs at least one row and one token`);
  }
  if (t.data.length !== batch * seq) {
    throw new InputError(`${name} has shape [${t.shape}] but holds ${t.data.length} values, expected ${batch * seq}`);
  }
  return [batch, seq];
}

/** [b, s] of a flat index into a [batch, seq] tensor, for messages. */
const at = (i: number, seq: number) => `[${Math.floor(i / seq)}, ${i % seq}]`;

/** input_ids i32 [B,S]: every id inside the vocabulary. Returns [B, S]. */
export function checkInputIds(ids: HostTensor, config: LlamaConfig): [number, number] {
  const [batch, seq] = checkShape(ids, 'input_ids');
  const vocab = config.vocabSize;
  const data = ids.data as Int32Array;
  for (let i = 0; i < data.length; i++) {
    const id = data[i];
    if (!(id >= 0 && id < vocab)) {
      throw new InputError(`input_ids: token id ${id} at ${at(i, seq)} is outside the vocabulary [0, ${vocab}) (vocab_size in config.json)`);
    }
  }
  return [batch, seq];
}

/** attention_mask i32 [B,S] like input_ids: 0 (padding) or 1 (token), at least one token per row. */
export function checkAttentionMask(mask: HostTensor | undefined, batch: number, seq: number): void {
  if (mask === undefined) return;
  checkShape(mask, 'attention_mask', [batch, seq]);
  const data = mask.data as Int32Array;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0 && data[i] !== 1) throw new InputError(`attention_mask: value ${data[i]} at ${at(i, seq)}, expected 0 (padding) or 1 (token)`);
  }
  for (let b = 0; b < batch; b++) {
    if (!data.subarray(b * seq, (b + 1) * seq).includes(1)) throw new InputError(`attention_mask: row ${b} is all padding (no 1): every row needs at least one token`);
  }
}

/** position_ids i32 [B,S] like input_ids: every position inside the model's context. */
export function checkPositionIds(positions: HostTensor | undefined, batch: number, seq: number, config: LlamaConfig): void {
  if (positions === undefined) return;
  checkShape(positions, 'position_ids', [batch, seq]);
  const data = positions.data as Int32Array;
  const context = config.maxPositionEmbeddings;
  for (let i = 0; i < data.length; i++) {
    const p = data[i];
    if (!(p >= 0 && p < context)) throw new InputError(`position_ids: position ${p} at ${at(i, seq)} is outside the model's context [0, ${context}) (${CONTEXT_FIELD})`);
  }
}

/** A forward over `seq` tokens must fit the model's context. */
export function checkForwardLength(seq: number, config: LlamaConfig): void {
  const context = config.maxPositionEmbeddings;
  if (seq > context) throw new InputError(`input_ids has ${seq} tokens per row, more than the model's context of ${context} positions (${CONTEXT_FIELD})`);
}

export interface NewTokenBudget {
  /** how many tokens generate will produce at most */
  maxNewTokens: number;
  /** set when the request was cut to fit the context: says from what, to what, and why */
  note?: string;
}

/**
 * A generation of `maxNewTokens` after a prompt `promptLen` wide (padding included, as transformers counts
 * max_length) fits the model's context, or is cut to fit with a note. A prompt that leaves no position is an error.
 */
export function newTokenBudget(promptLen: number, maxNewTokens: number, config: LlamaConfig): NewTokenBudget {
  if (!(Number.isSafeInteger(maxNewTokens) && maxNewTokens >= 0)) {
    throw new InputError(`maxNewTokens must be an integer >= 0, got ${maxNewTokens}`);
  }
  const context = config.maxPositionEmbeddings;
  const left = context - promptLen;
  if (maxNewTokens === 0) {
    checkForwardLength(promptLen, config);
    return { maxNewTokens };
  }
  if (left <= 0) {
    throw new InputError(`the prompt has ${promptLen} tokens and the model's context is ${context} positions (${CONTEXT_FIELD}): ` +
      `${Math.max(left, 0)} positions are left for new tokens; shorten the prompt by at least ${1 - left} tokens`);
  }
  if (maxNewTokens <= left) return { maxNewTokens };
  return {
    maxNewTokens: left,
    note: `max_new_tokens ${maxNewTokens} cut to ${left}: the prompt has ${promptLen} tokens and the model's context is ${context} positions (${CONTEXT_FIELD})`,
  };
}
