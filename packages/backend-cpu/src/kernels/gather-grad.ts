import { f32, type HostTensor } from '@xlora/core';

/** Gather backward w.r.t. the table: dtable[ids[i]] += dy[i] (f64 sums). dy [B,S,H], ids [B,S], table [V,H] -> [V,H] */
export function gatherGrad(dy: HostTensor, ids: HostTensor, table: { shape: readonly number[] }): HostTensor<'f32'> {
  const [vocab, hidden] = table.shape;
  const acc = new Float64Array(vocab * hidden);
  for (let i = 0; i < ids.data.length; i++) {
    const id = ids.data[i];
    if (!(id >= 0 && id < vocab)) continue; // the forward Gather already rejected it
    for (let c = 0; c < hidden; c++) acc[id * hidden + c] += dy.data[i * hidden + c];
  }
  return f32([vocab, hidden], Float32Array.from(acc));
}
