import type { HostTensor } from '@xlora/core';
import { effectiveScalings } from '@xlora/lora-layers';
import type { TokenSampler } from '../generation/sampler.js';
import type { Knobs } from '../xlora/xlora-model.js';
import type { RowCopy } from './batch-kv-caches.js';
import { tokenLogprobs } from './logprobs.js';
import type { FinishReason, TokenEvent } from './request.js';

/** What every choice of one request shares. */
export interface RequestShared {
  knobs: Knobs;
  /** new tokens per choice at most (already cut to the context) */
  budget: number;
  eos: readonly number[];
  freezeAfter?: number;
  logprobs?: number;
  returnScalings: boolean;
  emit: (event: TokenEvent) => void;
}

/**
 * One sequence (one choice of a request) in the running batch: its tokens, where its cache is, its own position
 * and, once frozen, the scalings it keeps. `history` counts the tokens its cache holds; the next step feeds
 * `pending` at `position`.
 */
export class SequenceRow {
  readonly tokens: number[] = [];
  history: number;
  position: number;
  pending = -1;
  /** frozen: [1,1,Lc,C] as the layers use them (after top-k) and the same row before top-k (reported) */
  frozen: { effective: HostTensor<'f32'>; raw: Float32Array } | null = null;
  finish: FinishReason | null = null;
  /** where the row's cache is until its group gathers it (a prefill's caches, or the group it left) */
  origin: RowCopy | null = null;

  constructor(readonly request: RequestShared, readonly choice: number, private readonly sampler: TokenSampler, promptLength: number) {
    this.history = promptLength;
    this.position = promptLength;
  }

  get done(): boolean {
    return this.finish !== null;
  }

  /**
   * Takes one step's result for this row: `logits` [V] of its last position and `scalings` [Lc*C] (pre-top-k) that
   * produced them. Freezes like XLoraModel.generate (after `freezeAfter` tokens), picks and reports the token,
   * and finishes at an eos id or the budget.
   */
  accept(logits: Float32Array, scalings: Float32Array, lc: number, c: number): void {
    const r = this.request;
    if (!this.frozen && r.freezeAfter !== undefined && this.tokens.length + 1 >= r.freezeAfter) {
      const raw = Float32Array.from(scalings);
      this.frozen = { effective: effectiveScalings({ dtype: 'f32', shape: [1, 1, lc, c], data: raw }, r.knobs.topK, r.knobs.softmaxTopK), raw };
    }
    const token = this.sampler.pick(logits);
    const event: TokenEvent = { choice: this.choice, index: this.tokens.length, token };
    if (r.logprobs !== undefined) {
      const lp = tokenLogprobs(logits, token, r.logprobs);
      event.logprob = lp.logprob;
      event.topLogprobs = lp.top;
    }
    if (r.returnScalings) event.scalings = Float32Array.from(scalings);
    this.tokens.push(token);
    this.pending = token;
    if (r.eos.includes(token)) this.finish = 'stop';
    else if (this.tokens.length >= r.budget) this.finish = 'length';
    r.emit(event);
  }
}
