import { f32, type CrossEntropyAttrs, type HostTensor } from '@xlora/core';
import { countedPositions } from './cross-entropy.js';

/** d loss / d logits = dLoss/N · (softmax(row) − onehot(label)) at counted rows, 0 elsewhere. */
export function crossEntropyGrad(logits: HostTensor, labels: HostTensor, dLoss: HostTensor, attrs: CrossEntropyAttrs): HostTensor<'f32'> {
  const vocab = logits.shape[2];
  const ld = logits.data as Float32Array;
  const out = f32(logits.shape);
  const rows = [...countedPositions(labels, vocab, attrs)];
  const k = dLoss.data[0] / rows.length;
  for (const [row, label] of rows) {
    const o = row * vocab;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (ld[o + i] > max) max = ld[o + i];
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(ld[o + i] - max);
    // a logits row can be counted more than once only without shift; accumulate
    for (let i = 0; i < vocab; i++) out.data[o + i] += k * (Math.exp(ld[o + i] - max) / sum - (i === label ? 1 : 0));
  }
  return out;
}
