import { InputError } from '@xlora/core';
import type { SamplingOptions } from '../generation/sampler.js';
import type { TokenLogprob } from './logprobs.js';

/** PEFT's runtime knobs for one request (unset: the model's). */
export interface RequestKnobs {
  topKLora?: number | null;
  softmaxTopK?: boolean;
  globalScalingWeight?: number;
  /** null: 1/n, as in PEFT */
  scalingPassValue?: number | null;
}

export interface EngineRequest {
  /** prompt token ids (at least one) */
  promptIds: readonly number[];
  /** new tokens per choice at most (cut to the model's context) */
  maxNewTokens: number;
  /** choices from one prompt: one prefill, `n` rows (default 1) */
  n?: number;
  /** greedy unless doSample; choice i samples with seed + i */
  sampling?: SamplingOptions;
  /** stop a choice at these ids (default: the model's eos ids) */
  eosTokenIds?: readonly number[];
  knobs?: RequestKnobs;
  /** after this many generated tokens a choice keeps its last exact scalings and skips the scaling pass */
  freezeScalingsAfter?: number;
  /** report each token's log-probability and this many alternatives (0..20); unset: none */
  logprobs?: number;
  /** report each token's scalings (the classifier's output that produced it) */
  returnScalings?: boolean;
  /** aborting cancels every choice still running (finish reason "cancelled") */
  signal?: AbortSignal;
  /** called in the engine's loop for every new token; may call `handle.finish` */
  onToken?: (event: TokenEvent) => void;
}

export interface TokenEvent {
  choice: number;
  /** 0-based index of the token among the choice's new tokens */
  index: number;
  token: number;
  logprob?: number;
  topLogprobs?: TokenLogprob[];
  /** [Lc, C] flattened: after the classifier softmax, before top-k (Lc = L for layerwise classifiers, else 1) */
  scalings?: Float32Array;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface ChoiceResult {
  tokens: number[];
  finishReason: FinishReason;
}

export interface EngineResult {
  promptTokens: number;
  choices: ChoiceResult[];
  /** what the engine changed about the request (max tokens cut to the context) */
  notes: string[];
}

export const MAX_TOP_LOGPROBS = 20;

/** Checks what the context does not: counts, knob ranges. Throws InputError naming the field. */
export function checkEngineRequest(r: EngineRequest, maxBatch: number): void {
  const intIn = (v: unknown, name: string, min: number, max: number) => {
    if (!(Number.isInteger(v) && (v as number) >= min && (v as number) <= max)) throw new InputError(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  };
  if (!Array.isArray(r.promptIds) || r.promptIds.length === 0) throw new InputError('the prompt has no tokens: give at least one');
  intIn(r.maxNewTokens, 'maxNewTokens', 0, Number.MAX_SAFE_INTEGER);
  if (r.n !== undefined) intIn(r.n, 'n', 1, maxBatch);
  if (r.freezeScalingsAfter !== undefined) intIn(r.freezeScalingsAfter, 'freezeScalingsAfter', 1, Number.MAX_SAFE_INTEGER);
  if (r.logprobs !== undefined) intIn(r.logprobs, 'logprobs', 0, MAX_TOP_LOGPROBS);
  const k = r.knobs ?? {};
  if (k.topKLora !== undefined && k.topKLora !== null) intIn(k.topKLora, 'topKLora', 1, Number.MAX_SAFE_INTEGER);
  if (k.globalScalingWeight !== undefined && !Number.isFinite(k.globalScalingWeight)) throw new InputError(`globalScalingWeight must be a finite number, got ${k.globalScalingWeight}`);
  if (k.scalingPassValue !== undefined && k.scalingPassValue !== null && !Number.isFinite(k.scalingPassValue)) throw new InputError(`scalingPassValue must be a finite number or null, got ${k.scalingPassValue}`);
}
