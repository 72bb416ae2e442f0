import type { ScalingsTensor } from './scalings-tensor.js';

/** Where a model reports the scalings of each call (full sequence, [B,S,L,C], as PEFT logs them). */
export interface ScalingsSink {
  record(scalings: ScalingsTensor): void;
}

/** PEFT's bucketed log: sequence length → (positions in the log, tensors). */
export type BucketedScalingsLog = Map<number, { positions: number[]; tensors: ScalingsTensor[] }>;

/**
 * PEFT's X-LoRA scalings log: enable / disable (keeps the log) / clear, the log itself (one entry per model
 * call with the whole sequence's scalings, after softmax and before top-k), and the log bucketed by length.
 */
export class ScalingsLogger implements ScalingsSink {
  private entries: ScalingsTensor[] = [];
  private enabled = false;
  private readonly listeners = new Set<(entry: ScalingsTensor, index: number) => void>();

  enable(): void {
    this.enabled = true;
  }
  disable(): void {
    this.enabled = false;
  }
  get isEnabled(): boolean {
    return this.enabled;
  }
  clear(): void {
    this.entries = [];
  }

  record(scalings: ScalingsTensor): void {
    if (!this.enabled) return;
    const entry = { shape: [...scalings.shape], data: scalings.data.slice() };
    this.entries.push(entry);
    for (const fn of this.listeners) fn(entry, this.entries.length - 1);
  }

  /** Streams every new entry as it is logged; returns an unsubscribe function. */
  subscribe(fn: (entry: ScalingsTensor, index: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A shallow copy of the log, like PEFT's get_scalings_log(). */
  getLog(): ScalingsTensor[] {
    return [...this.entries];
  }

  latest(): ScalingsTensor | null {
    return this.entries[this.entries.length - 1] ?? null;
  }

  /** Like PEFT's get_bucketed_scalings_log(): entries grouped by sequence length, in log order. */
  getBucketedLog(): BucketedScalingsLog {
    const out: BucketedScalingsLog = new Map();
    this.entries.forEach((t, i) => {
      const seq = t.shape[1];
      const bucket = out.get(seq) ?? { positions: [], tensors: [] };
      bucket.positions.push(i);
      bucket.tensors.push(t);
      out.set(seq, bucket);
    });
    return out;
  }
}
