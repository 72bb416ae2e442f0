import { f32, i32, type HostTensor } from '@xlora/core';
import type { Knobs, XLoraModel } from '../xlora/xlora-model.js';
import { BatchKvCaches, type RowCopy } from './batch-kv-caches.js';
import type { SequenceRow } from './sequence-row.js';

/** Rows that run one step graph: X-LoRA with one set of knobs, or frozen scalings with one global weight. */
export type GroupMode = 'xlora' | 'frozen';

/**
 * The graph a row needs now. The knobs are compile-time attributes of the mixture (and the scaling pass value of
 * the scaling pass), so rows share a step only when they agree; frozen rows carry their scalings after top-k, so
 * only the global weight separates them.
 */
export function groupOf(row: SequenceRow, defaultScalingPassValue: number): { key: string; mode: GroupMode; knobs: Knobs } {
  const k = row.request.knobs;
  if (row.frozen) {
    return { key: `frozen|g=${k.globalWeight}`, mode: 'frozen', knobs: { topK: null, softmaxTopK: false, globalWeight: k.globalWeight, scalingPassValue: defaultScalingPassValue } };
  }
  return { key: `xlora|topk=${k.topK}|smtopk=${k.softmaxTopK}|g=${k.globalWeight}|spv=${k.scalingPassValue}`, mode: 'xlora', knobs: k };
}

/**
 * The running rows of one graph and their batch caches (row i of the caches is rows[i]). Rows join and leave
 * between steps: `regather` copies the kept and joining rows into new caches once per change.
 */
export class BatchGroup {
  rows: SequenceRow[] = [];
  caches: BatchKvCaches | null = null;
  /** rows that join at the next regather (their cache is at row.origin) */
  readonly joining: SequenceRow[] = [];

  constructor(readonly key: string, readonly mode: GroupMode, readonly knobs: Knobs, private readonly passes: readonly string[]) {}

  /** true when rows left (done, or moving to another group) or are waiting to join */
  needsRegather(belongs: (row: SequenceRow) => boolean): boolean {
    return this.joining.length > 0 || this.rows.some((r) => r.done || !belongs(r));
  }

  /** Rows that leave for another group (frozen now): each gets its origin here, in the caches it leaves. */
  movers(belongs: (row: SequenceRow) => boolean): SequenceRow[] {
    const out: SequenceRow[] = [];
    this.rows.forEach((r, row) => {
      if (r.done || belongs(r)) return;
      r.origin = { source: this.caches!, row, length: r.history };
      out.push(r);
    });
    return out;
  }

  /**
   * New caches for the rows that stay (not done, still of this group) followed by the joining ones. Returns the old
   * caches: the caller disposes them once every group has gathered (movers are read from them).
   */
  async regather(model: XLoraModel, belongs: (row: SequenceRow) => boolean): Promise<BatchKvCaches | null> {
    const old = this.caches;
    const copies: RowCopy[] = [];
    const next: SequenceRow[] = [];
    this.rows.forEach((r, row) => {
      if (r.done || !belongs(r)) return;
      next.push(r);
      copies.push({ source: old!, row, length: r.history });
    });
    for (const r of this.joining) {
      next.push(r);
      copies.push(r.origin!);
      r.origin = null;
    }
    this.joining.length = 0;
    this.caches = next.length ? await BatchKvCaches.gather(model.backend, model.config, this.passes, copies) : null;
    this.rows = next;
    return old;
  }

  /** One decode step for every row: ids [B,1], positions [B,1], mask [B,P+1] with each row's gap masked. */
  async step(model: XLoraModel): Promise<void> {
    const caches = this.caches!;
    const batch = this.rows.length, past = caches.length;
    const width = past + 1;
    const mask = i32([batch, width]);
    this.rows.forEach((r, b) => mask.data.fill(1, b * width + past - r.history, (b + 1) * width));
    const lc = model.parts.xloraConfig.layerwiseScalings ? model.numLayers : 1;
    const c = model.numExperts;
    let scalings: HostTensor<'f32'> | undefined;
    if (this.mode === 'frozen') {
      scalings = f32([batch, 1, lc, c]);
      this.rows.forEach((r, b) => scalings!.data.set(r.frozen!.effective.data, b * lc * c));
    }
    const out = await model.runStep({
      mode: this.mode, knobs: this.knobs, caches,
      inputIds: i32([batch, 1], this.rows.map((r) => r.pending)),
      positionIds: i32([batch, 1], this.rows.map((r) => r.position)),
      attentionMask: mask, scalings,
    });
    const vocab = out.logits.shape[2];
    this.rows.forEach((r, b) => {
      r.history++;
      r.position++;
      if (r.done) return; // cancelled while the step ran: it leaves at the next regather
      const used = this.mode === 'frozen' ? r.frozen!.raw : out.scalings!.data.subarray(b * lc * c, (b + 1) * lc * c);
      r.accept(out.logits.data.subarray(b * vocab, (b + 1) * vocab), used, lc, c);
    });
  }

  dispose(): void {
    this.caches?.dispose();
    this.caches = null;
  }
}
