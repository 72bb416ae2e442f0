import { InputError, type CrossEntropyAttrs, type HostTensor } from '@xlora/core';

/** The (b, t) positions whose logits row is scored and the label it predicts (shifted: row t-1 predicts labels[t]). */
export function* countedPositions(labels: HostTensor, vocab: number, attrs: CrossEntropyAttrs): Generator<[row: number, label: number]> {
  const [batch, seq] = labels.shape;
  const shift = attrs.shift ? 1 : 0;
  for (let b = 0; b < batch; b++) {
    for (let t = shift; t < seq; t++) {
      const label = labels.data[b * seq + t];
      if (label === attrs.ignoreIndex) continue;
      if (!(label >= 0 && label < vocab)) {
        throw new InputError(`labels[${b}, ${t}] = ${label} is outside the vocabulary [0, ${vocab}) and is not the ignore index ${attrs.ignoreIndex}`);
      }
      yield [b * seq + t - shift, label];
    }
  }
}

/** Mean over the counted positions of −log_softmax(logits row)[label]; NaN when none is counted (as torch). f64 sums. */
export function crossEntropy(logits: HostTensor, labels: HostTensor, attrs: CrossEntropyAttrs): HostTensor<'f32'> {
  const vocab = logits.shape[2];
  const ld = logits.data as Float32Array;
  let total = 0, count = 0;
  for (const [row, label] of countedPositions(labels, vocab, attrs)) {
    const o = row * vocab;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (ld[o + i] > max) max = ld[o + i];
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(ld[o + i] - max);
    total += Math.log(sum) + max - ld[o + label];
    count++;
  }
  return { dtype: 'f32', shape: [1], data: Float32Array.of(total / count) };
}
