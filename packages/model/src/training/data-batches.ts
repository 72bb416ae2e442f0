import { i32, InputError } from '@xlora/core';
import { IGNORE_INDEX, type TrainingBatch } from './training-batch.js';
import type { TrainingExample } from './training-examples.js';
import { mulberry32 } from './seeded-random.js';

/** One row of a batch, `seqLen` long: ids, attention (1 token, 0 padding), labels, and the experts of routing supervision. */
export interface TrainingRow {
  ids: Int32Array;
  mask: Int32Array;
  labels: Int32Array;
  /** IGNORE_INDEX where an example gave no expert (and at padding) */
  experts: Int32Array;
}

function emptyRow(seqLen: number, padId: number): TrainingRow {
  return {
    ids: new Int32Array(seqLen).fill(padId), mask: new Int32Array(seqLen),
    labels: new Int32Array(seqLen).fill(IGNORE_INDEX), experts: new Int32Array(seqLen).fill(IGNORE_INDEX),
  };
}

/** A row holds at least 2 tokens (one prediction) and at most this many. */
export const MAX_SEQ_LEN = 65_536;

function checkSeqLen(seqLen: number): void {
  if (!(Number.isInteger(seqLen) && seqLen >= 2 && seqLen <= MAX_SEQ_LEN)) throw new InputError(`--seq-len must be an integer in [2, ${MAX_SEQ_LEN}], got ${seqLen}`);
}

/** Whether a row has a counted label (labels[1:] not all ignored): rows without one add nothing to the loss. */
function counts(labels: ArrayLike<number>): boolean {
  for (let i = 1; i < labels.length; i++) if (labels[i] !== IGNORE_INDEX) return true;
  return false;
}

/**
 * Padding (one example per row, as a data collator with padding="max_length", right side): each example is cut to
 * `seqLen` tokens and padded with `padId` (attention 0, label IGNORE_INDEX). Examples with no counted label after
 * the cut are dropped.
 */
export function paddedRows(examples: readonly TrainingExample[], seqLen: number, padId: number): TrainingRow[] {
  checkSeqLen(seqLen);
  const rows: TrainingRow[] = [];
  for (const ex of examples) {
    const n = Math.min(ex.ids.length, seqLen);
    const row = emptyRow(seqLen, padId);
    for (let t = 0; t < n; t++) {
      row.ids[t] = ex.ids[t];
      row.mask[t] = 1;
      row.labels[t] = ex.labels[t];
      row.experts[t] = ex.experts?.[t] ?? IGNORE_INDEX;
    }
    if (counts(row.labels)) rows.push(row);
  }
  return rows;
}

/**
 * Packing (transformers' run_clm group_texts): every example's ids concatenated in order and cut into rows of
 * `seqLen`; the last, shorter rest is padded. Rows attend across example boundaries, as group_texts does.
 */
export function packedRows(examples: readonly TrainingExample[], seqLen: number, padId: number): TrainingRow[] {
  checkSeqLen(seqLen);
  const rows: TrainingRow[] = [];
  let row: TrainingRow | null = null;
  let t = 0;
  for (const ex of examples) {
    for (let i = 0; i < ex.ids.length; i++) {
      if (row === null || t === seqLen) {
        if (row) rows.push(row);
        row = emptyRow(seqLen, padId);
        t = 0;
      }
      row.ids[t] = ex.ids[i];
      row.mask[t] = 1;
      row.labels[t] = ex.labels[i];
      row.experts[t] = ex.experts?.[i] ?? IGNORE_INDEX;
      t++;
    }
  }
  if (row) rows.push(row);
  return rows.filter((r) => counts(r.labels));
}

/** The row order of one epoch: a Fisher–Yates shuffle seeded by (seed, epoch), so any step can be recomputed on resume. */
export function epochOrder(rowCount: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(rowCount);
  for (let i = 0; i < rowCount; i++) order[i] = i;
  const rand = mulberry32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35));
  for (let i = rowCount - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/**
 * The rows as an endless, epoch-by-epoch shuffled stream of micro-batches: micro-batch m holds stream positions
 * [m·B, (m+1)·B), position p being row order(epoch = ⌊p/N⌋)[p mod N]. Everything follows from (seed, m), so
 * resuming at step k only needs k.
 */
export class BatchStream {
  private cachedEpoch = -1;
  private cachedOrder: Uint32Array = new Uint32Array(0);

  constructor(readonly rows: readonly TrainingRow[], readonly batchSize: number, readonly seed: number, readonly shuffle = true) {
    if (rows.length === 0) throw new InputError('training data: no row has a token to predict (every label is ignored or every example is shorter than 2 tokens)');
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InputError(`--batch-size must be an integer >= 1, got ${batchSize}`);
  }

  get seqLen(): number {
    return this.rows[0].ids.length;
  }

  /** Micro-batches per epoch (the last one takes rows of the next epoch when B does not divide N). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.rows.length / this.batchSize);
  }

  private rowAt(position: number): TrainingRow {
    const n = this.rows.length;
    const epoch = Math.floor(position / n);
    if (!this.shuffle) return this.rows[position % n];
    if (epoch !== this.cachedEpoch) {
      this.cachedOrder = epochOrder(n, this.seed, epoch);
      this.cachedEpoch = epoch;
    }
    return this.rows[this.cachedOrder[position % n]];
  }

  /** Micro-batch m: [B, seqLen] i32 tensors. */
  batch(m: number): TrainingBatch {
    const rows: TrainingRow[] = [];
    for (let r = 0; r < this.batchSize; r++) rows.push(this.rowAt(m * this.batchSize + r));
    return stackRows(rows);
  }

  /** Every row once, in order, in batches of B (the last may be smaller): for evaluation. */
  *inOrder(): Generator<TrainingBatch> {
    for (let start = 0; start < this.rows.length; start += this.batchSize) yield stackRows(this.rows.slice(start, start + this.batchSize));
  }
}

/** Rows as one [rows, seqLen] batch; routing labels included when any row has one. */
function stackRows(rows: readonly TrainingRow[]): TrainingBatch {
  const b = rows.length, s = rows[0].ids.length;
  const ids = new Int32Array(b * s), mask = new Int32Array(b * s), labels = new Int32Array(b * s), experts = new Int32Array(b * s);
  let routed = false;
  rows.forEach((row, r) => {
    ids.set(row.ids, r * s);
    mask.set(row.mask, r * s);
    labels.set(row.labels, r * s);
    experts.set(row.experts, r * s);
    routed ||= row.experts.some((e) => e !== IGNORE_INDEX);
  });
  return {
    inputIds: i32([b, s], ids), attentionMask: i32([b, s], mask), labels: i32([b, s], labels),
    ...(routed ? { routing: i32([b, s], experts) } : {}),
  };
}

/** Counted label positions of a batch (the shifted loss's denominator). */
export function countedLabels(batch: TrainingBatch): number {
  const s = batch.labels.shape[1];
  let n = 0;
  batch.labels.data.forEach((l, i) => {
    if (i % s >= 1 && l !== IGNORE_INDEX) n++;
  });
  return n;
}
