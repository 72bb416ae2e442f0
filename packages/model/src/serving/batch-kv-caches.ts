import { f32, isHostTensor, type Backend, type DeviceTensor, type Feed, type HostTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import { cacheNames } from '../architectures/cache-names.js';
import type { StepCaches } from '../xlora/xlora-model.js';

/** Caches a row can be copied from: a prefill's KvCaches or another batch's caches. */
export interface CacheSource {
  feeds(passes: readonly string[]): Record<string, Feed>;
}

/** One row of a new batch: row `row` of `source`, whose last `length` cache columns are the row's tokens. */
export interface RowCopy {
  source: CacheSource;
  row: number;
  length: number;
}

/**
 * The KV caches of one running batch: every pass and layer a [B, nKv, P, hd] tensor in which row b holds its
 * `length_b` tokens right-aligned in the last columns, and the columns before them are a gap (zeros, masked out by
 * the step's attention mask). Every step appends one column to every row, so the alignment holds without copying;
 * when the batch's membership changes, `gather` builds a new one (P = the longest row, so columns every row leaves
 * empty are dropped) — one copy of the rows' caches per change, never per step.
 */
export class BatchKvCaches implements StepCaches {
  private readonly tensors = new Map<string, Feed>();

  private constructor(private readonly backend: Backend, private readonly config: LlamaConfig, readonly passes: readonly string[],
    /** P: cache columns */
    public length: number) {}

  /** Builds the caches of `rows` (in that order) for `passes`, from each row's source. */
  static async gather(backend: Backend, config: LlamaConfig, passes: readonly string[], rows: readonly RowCopy[]): Promise<BatchKvCaches> {
    const { numKeyValueHeads: kv, headDim: hd } = config;
    const length = Math.max(0, ...rows.map((r) => r.length));
    const caches = new BatchKvCaches(backend, config, passes, length);
    const hostOf = new Map<Feed, Promise<HostTensor>>(); // each source tensor read once
    const read = (t: Feed) => {
      let h = hostOf.get(t);
      if (!h) hostOf.set(t, (h = isHostTensor(t) ? Promise.resolve(t) : backend.read(t as DeviceTensor)));
      return h;
    };
    const feedsOf = rows.map((r) => r.source.feeds(passes));
    for (const { past: name } of caches.names()) {
      const out = f32([rows.length, kv, length, hd]); // [B, nKv, P, hd], gaps zero
      for (let i = 0; i < rows.length; i++) {
        const { row, length: own } = rows[i];
        const src = await read(feedsOf[i][name]); // [Bs, nKv, Ps, hd]
        const srcLen = src.shape[2];
        if (own > srcLen || row >= src.shape[0]) throw new Error(`BatchKvCaches.gather: row ${row} with ${own} tokens is not in ${name} [${src.shape}]`);
        for (let h = 0; h < kv; h++) {
          const from = ((row * kv + h) * srcLen + srcLen - own) * hd;
          out.data.set((src.data as Float32Array).subarray(from, from + own * hd), ((i * kv + h) * length + length - own) * hd);
        }
      }
      caches.tensors.set(name, out);
    }
    return caches;
  }

  feeds(passes: readonly string[] = this.passes): Record<string, Feed> {
    const out: Record<string, Feed> = {};
    for (const { past } of this.names(passes)) out[past] = this.tensors.get(past)!;
    return out;
  }

  presentNames(passes: readonly string[] = this.passes): string[] {
    return this.names(passes).map((n) => n.present);
  }

  advance(outputs: Record<string, DeviceTensor>, passes: readonly string[] = this.passes): void {
    for (const { past, present } of this.names(passes)) {
      const next = outputs[present];
      const old = this.tensors.get(past);
      if (old && !isHostTensor(old) && old !== next) this.backend.release(old as DeviceTensor);
      this.tensors.set(past, next);
      this.length = next.shape[2];
    }
  }

  dispose(): void {
    for (const t of this.tensors.values()) if (!isHostTensor(t)) this.backend.release(t as DeviceTensor);
    this.tensors.clear();
  }

  /** past (fed) and present (produced) names of every cache tensor of `passes` */
  private names(passes: readonly string[] = this.passes): { past: string; present: string }[] {
    const names: { past: string; present: string }[] = [];
    for (const pass of passes) {
      for (let l = 0; l < this.config.numHiddenLayers; l++) {
        const n = cacheNames(pass, l);
        names.push({ past: n.pastKey, present: n.presentKey }, { past: n.pastValue, present: n.presentValue });
      }
    }
    return names;
  }
}
