import { f32, InputError, type HostTensor } from '@xlora/core';

/** table [V,H], ids [B,S] -> [B,S,H] */
export function gather(table: HostTensor, ids: HostTensor): HostTensor<'f32'> {
  const [vocab, hidden] = table.shape;
  const out = f32([...ids.shape, hidden]);
  const src = table.data as Float32Array;
  for (let i = 0; i < ids.data.length; i++) {
    const id = ids.data[i];
    if (!(id >= 0 && id < vocab)) throw new InputError(`token id ${id} at flat position ${i} is outside the vocabulary [0, ${vocab})`);
    out.data.set(src.subarray(id * hidden, (id + 1) * hidden), i * hidden);
  }
  return out;
}
