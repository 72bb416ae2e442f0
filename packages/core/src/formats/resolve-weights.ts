import type { HostTensor } from '../tensor.js';
import { dequantize, isPacked, type PackedTensor, type WeightTensor } from './packed-tensor.js';
import type { WeightFormat } from './weight-format.js';

/** Dequantized copies, one per packed tensor for the life of the tensor, shared by every compile that needs it. */
const dequantized = new WeakMap<PackedTensor, HostTensor<'f32'>>();

/**
 * What a backend compiles from: each weight in a format the backend runs natively stays as it is; the others are
 * dequantized to f32 once (cached per tensor, so compiling another graph over the same weights costs nothing).
 * `onDequantize` hears each format that had to be widened, once per call, for the backend's notes.
 */
export function resolveWeights(
  weights: ReadonlyMap<string, WeightTensor>,
  native: readonly WeightFormat[],
  onDequantize?: (format: WeightFormat, count: number) => void,
): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  const widened = new Map<WeightFormat, number>();
  for (const [name, t] of weights) {
    if (!isPacked(t) || native.includes(t.format)) {
      out.set(name, t);
      continue;
    }
    let f = dequantized.get(t);
    if (!f) {
      f = dequantize(t);
      dequantized.set(t, f);
    }
    widened.set(t.format, (widened.get(t.format) ?? 0) + 1);
    out.set(name, f);
  }
  if (onDequantize) for (const [format, count] of widened) onDequantize(format, count);
  return out;
}
