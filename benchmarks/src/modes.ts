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
export async function timeMode(model: XLoraModel, mode: BenchMode, prompt: HostTensor, newTokens: number): Promise<ModeTiming> {
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
