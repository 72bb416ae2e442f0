import { i32, InputError } from '@xlora/core';
import type { XLoraModel } from '@xlora/model';
import { argmaxAt, layerMeans } from './layer-means.js';

/** Bytes per held-out window (results.json heldout_windows.seq_len): 127 predicted positions each. */
export const WINDOW_BYTES = 128;
/** Windows per forward pass. */
export const EVAL_BATCH = 16;
/** Most windows per domain one evaluation may ask for. */
export const MAX_WINDOWS = 4096;

export interface DomainEval {
  /** mean next-byte cross-entropy (nats) over the predicted positions of every window */
  loss: number;
  ppl: number;
  /** predicted positions counted: windows × 127 */
  tokens: number;
  windows: number;
  /** scalings averaged over every byte of every window and all layers, per expert */
  meanScalings: number[];
  /** per expert: fraction of bytes whose layer-averaged scalings have it as argmax */
  argmaxShare: number[];
}

/**
 * Starts of `count` evenly spaced windows of WINDOW_BYTES over a stream of `length` bytes:
 * start_i = floor(i · (length − 129) / (count − 1)), i.e. numpy's linspace(0, length − 129, count) cast to int
 * (the last window ends one byte before the stream does). This is PEFT's spacing: with it the shipped checkpoint
 * reproduces results.json's held-out math loss to 1e-7 and its argmax shares exactly (heldout-eval.test.ts);
 * start_i = i · floor(length / count) gives 1.35915 instead of 1.35363.
 */
export function windowStarts(length: number, count: number, what: string): number[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_WINDOWS)) throw new InputError(`--windows must be an integer from 1 to ${MAX_WINDOWS}, got ${count}`);
  const span = length - (WINDOW_BYTES + 1);
  if (span < count - 1) throw new InputError(`${what}: ${length} bytes hold fewer than ${count} distinct windows of ${WINDOW_BYTES} bytes`);
  return Array.from({ length: count }, (_, i) => (count === 1 ? 0 : Math.floor((i * span) / (count - 1))));
}

/** Loss and routing of the X-LoRA model (eval mode: no dropout) over windows of `stream` at `starts`. */
export async function evaluateWindows(model: XLoraModel, stream: Uint8Array, starts: readonly number[], batch = EVAL_BATCH): Promise<DomainEval> {
  const experts = model.numExperts;
  let nll = 0;
  let tokens = 0;
  const scalingSum = new Float64Array(experts);
  const argmaxCount = new Float64Array(experts);
  let bytes = 0;
  for (let first = 0; first < starts.length; first += batch) {
    const rows = starts.slice(first, first + batch);
    const ids = new Int32Array(rows.length * WINDOW_BYTES); // [rows, WINDOW_BYTES]
    rows.forEach((start, r) => ids.set(stream.subarray(start, start + WINDOW_BYTES), r * WINDOW_BYTES));
    const out = await model.forward(i32([rows.length, WINDOW_BYTES], ids));
    const vocab = out.logits.shape[2]!;
    const logits = out.logits.data; // [rows, WINDOW_BYTES, vocab]
    for (let t = 0; t < rows.length * WINDOW_BYTES; t++) {
      if (t % WINDOW_BYTES === WINDOW_BYTES - 1) continue; // the last byte of a window predicts nothing inside it
      nll += crossEntropy(logits, t * vocab, vocab, ids[t + 1]!);
      tokens++;
    }
    const means = layerMeans(out.scalings!); // [rows * WINDOW_BYTES, experts]
    for (let t = 0; t < rows.length * WINDOW_BYTES; t++) {
      for (let c = 0; c < experts; c++) scalingSum[c]! += means[t * experts + c]!;
      argmaxCount[argmaxAt(means, t, experts)]! += 1;
    }
    bytes += rows.length * WINDOW_BYTES;
  }
  const loss = nll / tokens;
  return {
    loss, ppl: Math.exp(loss), tokens, windows: starts.length,
    meanScalings: Array.from(scalingSum, (s) => s / bytes), argmaxShare: Array.from(argmaxCount, (n) => n / bytes),
  };
}

/** −log softmax(logits[offset .. offset+vocab))[target], in float64. */
function crossEntropy(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]!);
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v]! - max);
  return max + Math.log(sum) - logits[offset + target]!;
}
