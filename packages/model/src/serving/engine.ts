import { i32, InputError } from '@xlora/core';
import { arangePositions, onesMask } from '../generation/positions.js';
import { TokenSampler } from '../generation/sampler.js';
import { checkInputIds, newTokenBudget } from '../xlora/input-checks.js';
import { KvCaches } from '../xlora/kv-caches.js';
import { stepPasses } from '../xlora/step-graph.js';
import type { Knobs, XLoraModel } from '../xlora/xlora-model.js';
import { BatchGroup, groupOf } from './batch-group.js';
import { SERVING_DEFAULTS } from './defaults.js';
import { EngineClosedError, QueueFullError } from './errors.js';
import { checkEngineRequest, type EngineRequest, type EngineResult, type FinishReason, type RequestKnobs, type TokenEvent } from './request.js';
import { SequenceRow, type RequestShared } from './sequence-row.js';

export interface ServingEngineOptions {
  /** sequences running at once, over all requests and knob groups (default 16) */
  maxBatch?: number;
  /** requests waiting for a place; beyond it submit throws QueueFullError (default 64) */
  maxQueue?: number;
  /** prompt tokens prefilled between two decode steps (at least one prompt each time; default 512) */
  prefillTokensPerStep?: number;
}

export interface EngineStats {
  queued: number;
  /** sequences in the running batch */
  running: number;
  /** step graphs in use (knob sets, frozen or not) */
  groups: number;
  /** decode steps and prefills run so far */
  steps: number;
  prefills: number;
  /** tokens generated so far */
  generatedTokens: number;
}

export interface EngineHandle {
  result: Promise<EngineResult>;
  /** ends a choice after the token being reported (e.g. a stop string matched): reason "stop" by default */
  finish(choice: number, reason?: FinishReason): void;
}

interface Job {
  request: EngineRequest;
  prompt: number[];
  shared: RequestShared;
  rows: SequenceRow[];
  notes: string[];
  started: number;
  resolve: (r: EngineResult) => void;
  reject: (e: unknown) => void;
  error?: unknown;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Continuous batching over one XLoraModel. Requests wait in a bounded queue; between two decode steps the engine
 * prefills waiting requests (each alone, as generate would) and their sequences join the running batch, and
 * sequences that finished leave it. Sequences run in groups that share a step graph (same knobs; frozen or not),
 * each group one padded batch cache (BatchKvCaches) re-gathered when its membership changes. Greedy tokens are
 * those generate gives the request alone: every row keeps its own positions and masked cache.
 */
export class ServingEngine {
  readonly maxBatch: number;
  readonly maxQueue: number;
  private readonly prefillBudget: number;
  private readonly queue: Job[] = [];
  private readonly active = new Set<Job>();
  private readonly groups = new Map<string, BatchGroup>();
  private prefillSources: KvCaches[] = [];
  private counters = { steps: 0, prefills: 0, generatedTokens: 0 };
  private closing = false;
  private wake: (() => void) | null = null;
  private readonly loopDone: Promise<void>;
  private meanJobSeconds = 1;

  constructor(readonly model: XLoraModel, options: ServingEngineOptions = {}) {
    const int = (v: number | undefined, name: keyof ServingEngineOptions) => {
      const n = v ?? SERVING_DEFAULTS[name];
      if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`ServingEngine: ${name} must be an integer >= 1, got ${v}`);
      return n;
    };
    this.maxBatch = int(options.maxBatch, 'maxBatch');
    this.maxQueue = int(options.maxQueue, 'maxQueue');
    this.prefillBudget = int(options.prefillTokensPerStep, 'prefillTokensPerStep');
    this.loopDone = this.loop();
  }

  /** Queues a request. Throws InputError (bad request), QueueFullError or EngineClosedError at once. */
  submit(request: EngineRequest): EngineHandle {
    if (this.closing) throw new EngineClosedError();
    checkEngineRequest(request, this.maxBatch);
    const prompt = [...request.promptIds];
    const config = this.model.config;
    checkInputIds(i32([1, prompt.length], prompt), config);
    const budget = newTokenBudget(prompt.length, request.maxNewTokens, config);
    let maxNew = budget.maxNewTokens;
    const notes = budget.note ? [budget.note] : [];
    const window = config.slidingWindow;
    if (window !== null && prompt.length + maxNew > window) {
      if (prompt.length >= window) throw new InputError(`the prompt has ${prompt.length} tokens, and the model's sliding_window is ${window} (config.json): sliding-window attention is not implemented`);
      notes.push(`max tokens ${maxNew} cut to ${window - prompt.length}: the model's sliding_window is ${window} (config.json)`);
      maxNew = window - prompt.length;
    }
    const knobs = this.resolveKnobs(request.knobs ?? {});
    if (this.queue.length >= this.maxQueue) {
      throw new QueueFullError(this.queue.length, Math.min(60, Math.max(1, Math.ceil(this.meanJobSeconds * this.queue.length / this.maxBatch))));
    }
    let settle!: Pick<Job, 'resolve' | 'reject'>;
    const result = new Promise<EngineResult>((resolve, reject) => (settle = { resolve, reject }));
    const job: Job = {
      request, prompt, notes, started: performance.now(), rows: [], ...settle,
      shared: {
        knobs, budget: maxNew, eos: request.eosTokenIds ?? this.model.parts.eosTokenIds ?? [],
        freezeAfter: request.freezeScalingsAfter, logprobs: request.logprobs, returnScalings: request.returnScalings ?? false,
        emit: (event: TokenEvent) => {
          this.counters.generatedTokens++;
          try {
            request.onToken?.(event);
          } catch (err) {
            this.fail(job, err);
          }
        },
      },
    };
    const n = request.n ?? 1;
    for (let i = 0; i < n; i++) {
      const seed = (request.sampling?.seed ?? 0) + i;
      job.rows.push(new SequenceRow(job.shared, i, new TokenSampler({ ...request.sampling, seed }), prompt.length));
    }
    if (maxNew === 0) {
      for (const r of job.rows) r.finish = 'length';
      this.active.add(job);
      this.settle();
      return this.handle(job, result);
    }
    request.signal?.addEventListener('abort', () => this.cancel(job), { once: true });
    if (request.signal?.aborted) this.cancel(job);
    this.queue.push(job);
    this.active.add(job);
    this.wake?.();
    return this.handle(job, result);
  }

  stats(): EngineStats {
    return { queued: this.queue.length, running: this.runningRows(), groups: this.groups.size, ...this.counters };
  }

  /**
   * Stops taking requests, lets queued and running ones finish for up to `deadlineMs`, cancels what is left
   * (finish reason "cancelled"), and resolves once the loop stopped and every cache is freed.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    this.closing = true;
    this.wake?.();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    if ((await Promise.race([this.loopDone.then(() => 'done' as const), late])) === 'late') {
      for (const job of [...this.active]) this.cancel(job);
      this.wake?.();
      await this.loopDone;
    }
    clearTimeout(timer);
  }

  private handle(job: Job, result: Promise<EngineResult>): EngineHandle {
    return {
      result,
      finish: (choice, reason = 'stop') => {
        const row = job.rows[choice];
        if (row && (!row.done || reason !== 'cancelled')) row.finish = reason;
        this.wake?.();
      },
    };
  }

  private resolveKnobs(k: RequestKnobs): Knobs {
    const base = this.model.knobs();
    const n = this.model.numExperts;
    if (k.topKLora !== undefined && k.topKLora !== null && k.topKLora > n) throw new InputError(`topKLora must be at most the number of experts (${n}), got ${k.topKLora}`);
    return {
      topK: k.topKLora === undefined ? base.topK : k.topKLora,
      softmaxTopK: k.softmaxTopK ?? base.softmaxTopK,
      globalWeight: k.globalScalingWeight ?? base.globalWeight,
      scalingPassValue: k.scalingPassValue === undefined ? base.scalingPassValue : k.scalingPassValue ?? 1 / n,
    };
  }

  private runningRows(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.rows.filter((r) => !r.done).length + g.joining.length;
    return n;
  }

  private cancel(job: Job): void {
    for (const r of job.rows) if (!r.done) r.finish = 'cancelled';
    const at = this.queue.indexOf(job);
    if (at >= 0) this.queue.splice(at, 1);
    this.settle();
    this.wake?.();
  }

  private fail(job: Job, err: unknown): void {
    job.error ??= err;
    this.cancel(job);
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0 && this.runningRows() === 0) {
        await this.updateMembership(); // frees what finished rows left
        if (this.closing) break;
        // checked again in the same tick as wake is set: a submit during updateMembership is not missed
        if (this.queue.length === 0 && this.runningRows() === 0) await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      await this.admit();
      await this.updateMembership();
      for (const group of [...this.groups.values()]) {
        if (group.rows.length === 0) continue;
        try {
          await group.step(this.model);
          this.counters.steps++;
        } catch (err) {
          for (const r of group.rows) this.failRow(r, err);
        }
      }
      this.settle();
      await yieldToEventLoop();
    }
    for (const g of this.groups.values()) g.dispose();
    this.groups.clear();
  }

  private failRow(row: SequenceRow, err: unknown): void {
    const job = [...this.active].find((j) => j.rows.includes(row));
    if (job) this.fail(job, err);
  }

  /** Prefills waiting requests while the batch has room, within the prompt-token budget (at least one). */
  private async admit(): Promise<void> {
    let budget = this.prefillBudget;
    let first = true;
    while (this.queue.length) {
      const job = this.queue[0];
      if (this.runningRows() + job.rows.length > this.maxBatch) break;
      if (!first && job.prompt.length > budget) break;
      this.queue.shift();
      first = false;
      budget -= job.prompt.length;
      try {
        await this.prefill(job);
      } catch (err) {
        this.fail(job, err);
      }
      await yieldToEventLoop(); // the first tokens go out now, not after every other prefill
    }
  }

  /** The prompt alone (batch 1, both passes), then each choice's first token; rows join their group. */
  private async prefill(job: Job): Promise<void> {
    const len = job.prompt.length;
    const caches = new KvCaches(this.model.backend, this.model.config, stepPasses(true), 1);
    this.prefillSources.push(caches);
    const out = await this.model.runStep({
      mode: 'xlora', knobs: job.shared.knobs, caches,
      inputIds: i32([1, len], job.prompt), positionIds: arangePositions(1, len), attentionMask: onesMask(1, len),
    });
    this.counters.prefills++;
    const [, , lc, c] = out.scalings!.shape; // [1, len, Lc, C]
    const last = out.scalings!.data.subarray((len - 1) * lc * c, len * lc * c);
    for (const row of job.rows) {
      if (row.done) continue; // cancelled while prefilling
      row.accept(out.logits.data, last, lc, c);
      if (row.done) continue;
      row.origin = { source: caches, row: 0, length: len };
      this.groupFor(row).joining.push(row);
    }
  }

  private groupFor(row: SequenceRow): BatchGroup {
    const { key, mode, knobs } = groupOf(row, this.model.knobs().scalingPassValue);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = new BatchGroup(key, mode, knobs, stepPasses(mode === 'xlora'))));
    return g;
  }

  /** Rows that finished leave, frozen rows move to their frozen group, new rows join: one gather per changed group. */
  private async updateMembership(): Promise<void> {
    const spv = this.model.knobs().scalingPassValue;
    const belongsTo = (g: BatchGroup) => (r: SequenceRow) => groupOf(r, spv).key === g.key;
    for (const g of [...this.groups.values()]) for (const r of g.movers(belongsTo(g))) this.groupFor(r).joining.push(r);
    const old = [];
    for (const g of [...this.groups.values()]) {
      if (!g.needsRegather(belongsTo(g))) continue;
      try {
        old.push(await g.regather(this.model, belongsTo(g)));
      } catch (err) {
        for (const r of [...g.rows, ...g.joining]) this.failRow(r, err);
        g.joining.length = 0;
        g.rows = [];
      }
    }
    for (const c of old) c?.dispose();
    for (const c of this.prefillSources) c.dispose();
    this.prefillSources = [];
    for (const [key, g] of this.groups) {
      if (g.rows.length === 0 && g.joining.length === 0) {
        g.dispose();
        this.groups.delete(key);
      }
    }
  }

  /** Resolves (or rejects) every request whose choices are all done. */
  private settle(): void {
    for (const job of this.active) {
      if (!job.rows.every((r) => r.done)) continue;
      this.active.delete(job);
      const seconds = (performance.now() - job.started) / 1000;
      this.meanJobSeconds = 0.9 * this.meanJobSeconds + 0.1 * seconds;
      if (job.error !== undefined) job.reject(job.error);
      else job.resolve({ promptTokens: job.prompt.length, notes: job.notes, choices: job.rows.map((r) => ({ tokens: r.tokens, finishReason: r.finish! })) });
    }
  }
}
