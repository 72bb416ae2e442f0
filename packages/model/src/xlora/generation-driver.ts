import { InputError, i32, type HostTensor } from '@xlora/core';
import { effectiveScalings } from '@xlora/lora-layers';
import { concatAlongSequence, expandLayers, type ScalingsLogger, type ScalingsTensor } from '@xlora/scaling-logger';
import { inferAttentionMask, positionsFromMask } from '../generation/positions.js';
import { TokenSampler, type SamplingOptions } from '../generation/sampler.js';
import { appendOnes, lastPosition } from '../generation/sequence-tensors.js';
import { newTokenBudget } from './input-checks.js';
import { KvCaches } from './kv-caches.js';
import { maxOf, type Call, type ModelMode, type StepRunner } from './step-runner.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** i32 [B,P]; default: inferred from the pad token as transformers does, else all ones */
  attentionMask?: HostTensor;
  /** stop a row at these ids (default: the model's eos ids); finished rows continue with the pad id */
  eosTokenIds?: readonly number[];
  mode?: ModelMode;
  /**
   * Frozen scalings (off by default: exact PEFT semantics). After this many generated tokens each sequence keeps
   * the scalings of its last exact step and the scaling pass is skipped: decode costs one pass instead of two.
   */
  freezeScalingsAfter?: number;
  /** keep each step's last-position logits [B,V] in the result */
  returnStepLogits?: boolean;
  /** called after every step with the new token of each row */
  onToken?: (step: number, tokens: readonly number[]) => void | Promise<void>;
  /** called before the first step with anything generate changed about the request (e.g. maxNewTokens cut to the context) */
  onNote?: (message: string) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** [B, P+N] prompt and generated ids, like HF generate */
  tokens: number[][];
  /** per step, [B,V] raw logits of the last position */
  stepLogits?: HostTensor<'f32'>[];
  /** why generation ended */
  stopReason: 'max-new-tokens' | 'eos' | 'aborted';
  /** what generate changed about the request, as passed to onNote */
  notes: string[];
}

/** What the driver needs of the model. */
export interface GenerationHost {
  runner: StepRunner;
  logger: ScalingsLogger;
  numLayers: number;
  eosTokenIds: readonly number[];
  padTokenId: number | null;
}

/**
 * The generation loop: greedy or sampled tokens with one KV cache per pass (two for X-LoRA), the scalings log
 * rebuilt from the cached steps (PEFT logs the whole sequence every step), frozen scalings, stop conditions. When
 * the architecture's graph changes with the length (Phi-3 LongRoPE past the original context) the caches were
 * built by the other graph, so that step recomputes the whole sequence, as PEFT's uncached generate does.
 */
export async function runGeneration(host: GenerationHost, call: Call, inputIds: HostTensor, batch: number, promptLen: number,
  options: GenerateOptions, budget: ReturnType<typeof newTokenBudget>): Promise<{ result: GenerateResult; latest: ScalingsTensor | null }> {
  const { runner } = host;
  const mode = options.mode ?? 'xlora';
  const eos = options.eosTokenIds ?? host.eosTokenIds;
  const pad = host.padTokenId ?? eos[0] ?? 0;
  const sampler = new TokenSampler(options);
  let mask = options.attentionMask ?? inferAttentionMask(inputIds, host.padTokenId, eos);
  const tokens: number[][] = Array.from({ length: batch }, (_, b) => Array.from(inputIds.data.subarray(b * promptLen, (b + 1) * promptLen)));
  const nextPosition = Array.from({ length: batch }, (_, b) => tokens[b].filter((_, s) => mask.data[b * promptLen + s] !== 0).length);
  const finished = new Array<boolean>(batch).fill(false);
  const stepLogits: HostTensor<'f32'>[] = [];
  const freezeAt = options.freezeScalingsAfter;
  if (freezeAt !== undefined && !(Number.isInteger(freezeAt) && freezeAt >= 1)) {
    throw new InputError(`freezeScalingsAfter must be an integer >= 1, got ${freezeAt}`);
  }
  if (freezeAt !== undefined && mode !== 'xlora') throw new InputError('freezeScalingsAfter only applies to X-LoRA mode');
  const notes = budget.note ? [budget.note] : [];
  for (const n of notes) options.onNote?.(n);
  let caches = new KvCaches(runner.backend, runner.config, runner.passesFor(mode), batch);
  let cacheVariant: string | null | undefined; // the graph variant the caches were built with (undefined: empty)
  let frozen: HostTensor<'f32'> | null = null; // [B,1,Lc,C] effective scalings fed to the frozen graph
  let frozenRaw: HostTensor<'f32'> | null = null; // the same rows before top-k, for the log
  let ids: HostTensor = inputIds;
  let positions: HostTensor = positionsFromMask(mask);
  let running: ScalingsTensor | null = null;
  let stopReason: GenerateResult['stopReason'] = 'max-new-tokens';
  try {
    for (let step = 0; step < budget.maxNewTokens; step++) {
      if (options.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      const variant = runner.variantFor(maxOf(positions));
      let recompute = false;
      if (cacheVariant !== undefined && variant !== cacheVariant) {
        // the cached keys were rotated by the other graph: rebuild the caches over the whole sequence
        caches.dispose();
        caches = new KvCaches(runner.backend, runner.config, runner.passesFor(mode), batch);
        const len = tokens[0].length;
        ids = i32([batch, len], tokens.flat());
        positions = positionsFromMask(mask);
        recompute = true;
      }
      cacheVariant = variant;
      const out = frozen
        ? await runner.run(call, { mode: 'frozen', logits: 'last', caches, ids, mask, positions, extraFeeds: { scalings: frozen }, variant })
        : await runner.run(call, { mode, logits: 'last', caches, ids, mask, positions, variant });
      const logits = (await runner.backend.read(out.logits)) as HostTensor<'f32'>; // [B,1,V]
      if (mode === 'xlora') {
        const compact = frozenRaw ?? (await runner.backend.read(out.scalings)) as HostTensor<'f32'>; // [B,S|1,Lc,C], pre-top-k
        const fresh = expandToSequence(compact, ids.shape[1], host.numLayers);
        if (!running) running = fresh;
        else if (!recompute) running = concatAlongSequence(running, fresh);
        else if (frozenRaw) running = concatAlongSequence(running, lastRow(fresh)); // frozen: only the new token's row is new
        else running = fresh; // the whole sequence, recomputed
        host.logger.record(running);
        if (!frozen && freezeAt !== undefined && step + 1 >= freezeAt) {
          // frozen rows are stored as each layer uses them (after top-k / softmax-top-k), so the frozen graph skips that work
          frozen = effectiveScalings(lastPosition(compact), call.knobs.topK, call.knobs.softmaxTopK);
          frozenRaw = lastPosition(compact);
        }
      }
      runner.releaseAll(out);
      const vocab = logits.shape[2];
      if (options.returnStepLogits) stepLogits.push({ dtype: 'f32', shape: [batch, vocab], data: logits.data });
      const picked = tokens.map((_, b) => (finished[b] ? pad : sampler.pick(logits.data.subarray(b * vocab, (b + 1) * vocab))));
      picked.forEach((t, b) => {
        tokens[b].push(t);
        if (eos.includes(t)) finished[b] = true;
      });
      await options.onToken?.(step, picked);
      ids = i32([batch, 1], picked);
      positions = i32([batch, 1], nextPosition.map((p, b) => (nextPosition[b] = p + 1) - 1));
      mask = appendOnes(mask);
      if (eos.length && finished.every(Boolean)) {
        stopReason = 'eos';
        break;
      }
    }
  } finally {
    caches.dispose();
  }
  return { result: { tokens, stepLogits: options.returnStepLogits ? stepLogits : undefined, stopReason, notes }, latest: running };
}

/** The last position of [B,S,L,C] scalings, [B,1,L,C]. */
function lastRow(t: ScalingsTensor): ScalingsTensor {
  const h = lastPosition({ dtype: 'f32', shape: t.shape, data: t.data });
  return { shape: h.shape, data: h.data };
}

/** [B,S|1,Lc,C] compact scalings → [B,S,L,C] (frozen steps reuse one row for every new token). */
export function expandToSequence(compact: HostTensor<'f32'>, seq: number, numLayers: number): ScalingsTensor {
  let t: ScalingsTensor = compact;
  if (compact.shape[1] !== seq) {
    const [b, , lc, c] = compact.shape;
    const data = new Float32Array(b * seq * lc * c);
    for (let i = 0; i < b; i++) for (let s = 0; s < seq; s++) data.set(compact.data.subarray(i * lc * c, (i + 1) * lc * c), (i * seq + s) * lc * c);
    t = { shape: [b, seq, lc, c], data };
  }
  return expandLayers(t, numLayers);
}
