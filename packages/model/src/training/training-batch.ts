import { InputError, type HostTensor } from '@xlora/core';

/** One training batch, as PEFT's fixtures and the exact-step contract give it: all i32 [B,S]. */
export interface TrainingBatch {
  inputIds: HostTensor;
  /** 1 = token, 0 = padding */
  attentionMask: HostTensor;
  /** the token to predict at each position (shifted inside the loss: position t-1 predicts labels[t]); −100 = ignored */
  labels: HostTensor;
  /** routing supervision only: the expert (class index) each position should route to, not shifted; −100 = none */
  routing?: HostTensor;
}

export const IGNORE_INDEX = -100;

/** Checks shapes, dtypes and ranges; `where` names the source (a file) in errors. Returns [B, S] and the counted labels. */
export function checkTrainingBatch(batch: TrainingBatch, vocabSize: number, where: string): { batch: number; seq: number; counted: number } {
  const fields: [Exclude<keyof TrainingBatch, 'routing'>, string][] = [['inputIds', 'input_ids'], ['attentionMask', 'attention_mask'], ['labels', 'labels']];
  const shape = batch.inputIds.shape;
  for (const [field, key] of fields) {
    const t = batch[field];
    if (t.dtype !== 'i32' || t.shape.length !== 2) throw new InputError(`${where}: "${key}" must be an integer [batch, seq] tensor, got ${t.dtype} [${t.shape}]`);
    if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) throw new InputError(`${where}: "${key}" is [${t.shape}] but input_ids is [${shape}]`);
  }
  const [b, s] = shape;
  if (b < 1 || s < 2) throw new InputError(`${where}: a training batch needs at least 1 row of 2 tokens, got [${shape}]`);
  batch.inputIds.data.forEach((id, i) => {
    if (!(id >= 0 && id < vocabSize)) throw new InputError(`${where}: input_ids[${Math.floor(i / s)}, ${i % s}] = ${id} is outside the vocabulary [0, ${vocabSize})`);
  });
  batch.attentionMask.data.forEach((m, i) => {
    if (m !== 0 && m !== 1) throw new InputError(`${where}: attention_mask[${Math.floor(i / s)}, ${i % s}] = ${m}, expected 0 or 1`);
  });
  let counted = 0;
  batch.labels.data.forEach((l, i) => {
    if (l !== IGNORE_INDEX && !(l >= 0 && l < vocabSize)) throw new InputError(`${where}: labels[${Math.floor(i / s)}, ${i % s}] = ${l} is neither ${IGNORE_INDEX} nor a token id in [0, ${vocabSize})`);
    if (i % s >= 1 && l !== IGNORE_INDEX) counted++;
  });
  if (counted === 0) throw new InputError(`${where}: no label is counted (every labels[:, 1:] is ${IGNORE_INDEX}): the loss would be NaN`);
  return { batch: b, seq: s, counted };
}

/** The routing labels of a batch, checked against [B,S] and the expert count; `where` names the source in errors. */
export function checkRoutingLabels(batch: TrainingBatch, numExperts: number, where: string): HostTensor {
  const t = batch.routing;
  if (!t) throw new InputError(`${where}: routing supervision is on but the batch has no routing labels (give each example's segments an "expert")`);
  const [b, s] = batch.inputIds.shape;
  if (t.dtype !== 'i32' || t.shape.length !== 2 || t.shape[0] !== b || t.shape[1] !== s) {
    throw new InputError(`${where}: routing labels must be an integer [${b}, ${s}] tensor, got ${t.dtype} [${t.shape}]`);
  }
  let labelled = 0;
  t.data.forEach((e, i) => {
    if (e !== IGNORE_INDEX && !(Number.isInteger(e) && e >= 0 && e < numExperts)) {
      throw new InputError(`${where}: routing[${Math.floor(i / s)}, ${i % s}] = ${e} is neither ${IGNORE_INDEX} nor an expert index in [0, ${numExperts})`);
    }
    if (e !== IGNORE_INDEX) labelled++;
  });
  if (labelled === 0) throw new InputError(`${where}: no position has a routing label: the routing loss would be NaN`);
  return t;
}
