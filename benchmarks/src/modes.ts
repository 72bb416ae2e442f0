import { i32, type HostTensor } from '@xlora/core';
import type { XLoraModel } from '@xlora/model';

/** What one benchmark mode runs: a prefill of the prompt, then `newTokens` greedy decode steps. */
export type BenchMode = 'base' | 'lora' | 'xlora-recompute' | 'xlora' | 'xlora-frozen';
export const BENCH_MODES: readonly BenchMode[] = ['base', 'lora', 'xlora-recompute', 'xlora', 'xlora-frozen'];

export interface ModeTiming {
  /** ms from start to the first new token (prefill + first pick) */
  timeToFirstTokenMs: number;
  /** ms for the remaining newTokens − 1 decode steps */
  decodeMs: number;
  decodeSteps: number;
}

/** Frozen scalings after this many generated tokens in 'xlora-frozen'. */
export const FREEZE_AFTER = 4;

/**
 * Times one mode. Cached modes use generate() (one graph run per token); 'xlora-recompute' re-runs both passes
 * over the whole sequence at every step, as PEFT does.
 */
export async function timeMode(model: XLoraModel, mode: BenchMode, prompt: HostTensor, newTokens: number,
  recomputeSamples?: number): Promise<ModeTiming> {
  if (mode === 'xlora-recompute' && recomputeSamples) return estimateRecompute(model, prompt, newTokens, recomputeSamples);
  const start = performance.now();
  let first = 0;
  const onToken = (step: number) => {
    if (step === 0) first = performance.now();
  };
  if (mode === 'xlora-recompute') {
    const seq = Array.from(prompt.data);
    for (let step = 0; step < newTokens; step++) {
      const out = await model.forward(i32([1, seq.length], seq));
      const v = out.logits.shape[2];
      const last = out.logits.data.subarray((seq.length - 1) * v);
      let best = 0;
      for (let i = 1; i < v; i++) if (last[i] > last[best]) best = i;
      seq.push(best);
      onToken(step);
    }
  } else {
    await model.generate(prompt, {
      maxNewTokens: newTokens, eosTokenIds: [], onToken,
      mode: mode === 'base' ? 'base' : mode === 'lora' ? { expert: 0 } : 'xlora',
      freezeScalingsAfter: mode === 'xlora-frozen' ? FREEZE_AFTER : undefined,
    });
  }
  const end = performance.now();
  return { timeToFirstTokenMs: first - start, decodeMs: end - first, decodeSteps: newTokens - 1 };
}

/**
 * PEFT-style recompute cost over `newTokens` steps, estimated from `samples` full forwards at evenly spaced
 * sequence lengths (step i runs both passes over P+i tokens; cost is interpolated linearly between samples).
 * Used by the quick preset, where running every step on a slow backend would take minutes.
 */
async function estimateRecompute(model: XLoraModel, prompt: HostTensor, newTokens: number, samples: number): Promise<ModeTiming> {
  const p = prompt.shape[1];
  const lengths = Array.from({ length: samples }, (_, i) => Math.round(p + (i * (newTokens - 1)) / (samples - 1)));
  const ms: number[] = [];
  for (const len of lengths) {
    const ids = i32([1, len], Array.from({ length: len }, (_, i) => prompt.data[i % p]));
    const t = performance.now();
    await model.forward(ids);
    ms.push(performance.now() - t);
  }
  const at = (len: number) => {
    let j = 0;
    while (j < lengths.length - 2 && lengths[j + 1] < len) j++;
    const span = lengths[j + 1] - lengths[j] || 1;
    return ms[j] + ((ms[j + 1] - ms[j]) * (len - lengths[j])) / span;
  };
  let decodeMs = 0;
  for (let step = 1; step < newTokens; step++) decodeMs += at(p + step);
  return { timeToFirstTokenMs: ms[0], decodeMs, decodeSteps: newTokens - 1 };
}
