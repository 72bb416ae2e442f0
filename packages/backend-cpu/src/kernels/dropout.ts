import { dropoutKeeps, dropoutKey, f32, InputError, type DropoutAttrs, type HostTensor } from '@xlora/core';

/** Inverted dropout with core's counter-based generator: kept elements × 1/(1−p), others 0. */
export function dropout(x: HostTensor, seed: HostTensor, attrs: DropoutAttrs): HostTensor<'f32'> {
  if (seed.dtype !== 'i32') throw new InputError(`Dropout: the seed must be an i32 [1] tensor, got ${seed.dtype}`);
  const out = f32(x.shape);
  const key = dropoutKey(seed.data[0], attrs.stream);
  const keepScale = 1 / (1 - attrs.p);
  for (let i = 0; i < out.data.length; i++) out.data[i] = dropoutKeeps(key, i, attrs.p) ? x.data[i] * keepScale : 0;
  return out;
}
