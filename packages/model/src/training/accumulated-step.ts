import { f32, InputError } from '@xlora/core';
import type { ParameterMap } from './parameters.js';
import { countedLabels, type BatchStream } from './data-batches.js';
import type { XLoraTrainer } from './xlora-trainer.js';

/** The dropout seed of micro-batch m under run seed `seed` (each micro-batch draws its own masks; resume recomputes it). */
export function microBatchSeed(seed: number, m: number): number {
  return (Math.imul(seed, 0x9e3779b1) + m) | 0;
}

export interface AccumulatedResult {
  /** mean loss over every counted label of the step's micro-batches */
  loss: number;
  grads: ParameterMap;
  /** attended tokens processed (for tokens/s) */
  tokens: number;
  /** counted labels */
  counted: number;
  /** with routing supervision: the two parts of `loss`, weighted the same way */
  parts?: { lm: number; routing: number };
}

/**
 * One optimizer step's gradient over `gradAccum` micro-batches (m = step·gradAccum … +gradAccum−1), weighted by
 * counted labels: loss = Σ n_m·loss_m / Σ n_m and likewise the gradients, which is the loss of all the micro-batches
 * as one batch (transformers' Trainer with num_items_in_batch).
 */
export async function accumulatedLossAndGradients(trainer: XLoraTrainer, stream: BatchStream, step: number, gradAccum: number, seed: number): Promise<AccumulatedResult> {
  let grads: ParameterMap | null = null;
  let lossSum = 0, counted = 0, tokens = 0;
  const parts: { n: number; grads: ParameterMap; loss: number; parts?: { lm: number; routing: number } }[] = [];
  for (let a = 0; a < gradAccum; a++) {
    const m = step * gradAccum + a;
    const batch = stream.batch(m);
    const n = countedLabels(batch);
    if (n === 0) continue;
    const r = await trainer.lossAndGradients(batch, microBatchSeed(seed, m));
    if (!Number.isFinite(r.loss)) throw new InputError(`step ${step + 1}, micro-batch ${a + 1}: the loss is ${r.loss}; stopping before the parameters are updated`);
    parts.push({ n, grads: r.grads, loss: r.loss, parts: r.parts });
    counted += n;
    batch.attentionMask.data.forEach((v) => { tokens += v; });
  }
  if (parts.length === 0) throw new InputError(`step ${step + 1}: no micro-batch has a counted label`);
  if (parts.length === 1) return { loss: parts[0].loss, grads: parts[0].grads, tokens, counted, ...(parts[0].parts ? { parts: parts[0].parts } : {}) };
  grads = new Map();
  const sumParts = parts[0].parts ? { lm: 0, routing: 0 } : undefined;
  for (const p of parts) {
    const w = p.n / counted;
    lossSum += w * p.loss;
    if (sumParts && p.parts) {
      sumParts.lm += w * p.parts.lm;
      sumParts.routing += w * p.parts.routing;
    }
    for (const [name, g] of p.grads) {
      let acc = grads.get(name);
      if (!acc) {
        acc = f32(g.shape);
        grads.set(name, acc);
      }
      for (let i = 0; i < acc.data.length; i++) acc.data[i] += w * g.data[i];
    }
  }
  return { loss: lossSum, grads, tokens, counted, ...(sumParts ? { parts: sumParts } : {}) };
}

/** Mean loss over every counted label of `stream`'s rows (each once, in order), with the dropout seed fixed. */
export async function evaluationLoss(trainer: XLoraTrainer, stream: BatchStream): Promise<{ loss: number; counted: number }> {
  let sum = 0, counted = 0;
  for (const batch of stream.inOrder()) {
    const n = countedLabels(batch);
    if (n === 0) continue;
    sum += (await trainer.loss(batch, 0)) * n;
    counted += n;
  }
  return { loss: sum / counted, counted };
}
