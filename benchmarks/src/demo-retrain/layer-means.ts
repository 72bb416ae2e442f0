/**
 * Scalings averaged over the X-LoRA layers, per byte: `scalings` is [B,S,L,C] (after the classifier softmax);
 * the result is [B*S, C] row-major in float64.
 */
export function layerMeans(scalings: { shape: readonly number[]; data: Float32Array }): Float64Array {
  const [b, s, layers, experts] = scalings.shape as [number, number, number, number];
  const out = new Float64Array(b * s * experts); // [B*S, C]
  const d = scalings.data;
  for (let t = 0; t < b * s; t++) {
    for (let l = 0; l < layers; l++) {
      const base = (t * layers + l) * experts;
      for (let c = 0; c < experts; c++) out[t * experts + c]! += d[base + c]!;
    }
    for (let c = 0; c < experts; c++) out[t * experts + c]! /= layers;
  }
  return out;
}

/** Index of the largest of `count` values at `row` of a [rows, count] array (the first on ties). */
export function argmaxAt(values: Float64Array, row: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (values[row * count + c]! > values[row * count + best]!) best = c;
  return best;
}
