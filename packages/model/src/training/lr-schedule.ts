import { InputError } from '@xlora/core';

/**
 * transformers' get_cosine_schedule_with_warmup (num_cycles 0.5) as a multiplier of the base learning rate at
 * optimizer step `step` (0-based: the lr used by the first step is lr·factor(0)):
 *   step < warmup: step / max(1, warmup);  else max(0, ½(1 + cos(π · (step − warmup) / max(1, total − warmup))))
 * With a floor m (minRatio, default 0 = transformers) the decay ends at m instead of 0: m + (1 − m)·cosine.
 */
export function warmupCosineFactor(step: number, warmupSteps: number, totalSteps: number, minRatio = 0): number {
  if (!(warmupSteps >= 0 && totalSteps >= 0)) throw new InputError(`lr schedule: warm-up ${warmupSteps} and total ${totalSteps} steps must be >= 0`);
  if (!(minRatio >= 0 && minRatio <= 1)) throw new InputError(`lr schedule: the minimum ratio must be in [0, 1], got ${minRatio}`);
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return minRatio + (1 - minRatio) * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Constant learning rate (the exact-step contract) or warm-up + cosine. */
export type LrSchedule = (step: number) => number;

export function constantLr(lr: number): LrSchedule {
  return () => lr;
}

export function warmupCosineLr(lr: number, warmupSteps: number, totalSteps: number, minRatio = 0): LrSchedule {
  return (step) => lr * warmupCosineFactor(step, warmupSteps, totalSteps, minRatio);
}
