import { f32, InputError, type HostTensor, type WeightTensor } from '@xlora/core';
import { copyWeightRow } from './weight-rows.js';

/** table [V,H] in any storage format (a packed row is decoded), ids [B,S] -> [B,S,H] */
export function gather(table: WeightTensor, ids: HostTensor): HostTensor<'f32'> {
  const [vocab, hidden] = table.shape;
  const out = f32([...ids.shape, hidden]);
  for (let i = 0; i < ids.data.length; i++) {
    const id = ids.data[i];
    if (!(id >= 0 && id < vocab)) throw new InputError(`token id ${id} at flat position ${i} is outside the vocabulary [0, ${vocab})`);
    copyWeightRow(table, id, out.data, i * hidden);
  }
  return out;
}
