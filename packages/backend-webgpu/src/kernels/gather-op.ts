import { BackendError, InputError, numel } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { GATHER_FIELDS, gatherKernel } from './gather.js';

/** backend-cpu's check on token ids, for host feeds (device feeds cannot be checked without a read-back). */
function checkIds(ids: Int32Array | Float32Array, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < vocab)) throw new InputError(`token id ${id} at flat position ${i} is outside the vocabulary [0, ${vocab})`);
  }
}

/** Embedding lookup; a table over one binding is split by rows (one dispatch per chunk). */
export const gatherOp: WebGpuOp<'Gather'> = {
  weights: { 0: { split: true, narrowToF16: false, packed: true } },
  kernels: (node, { tun, storageOf }) => [gatherKernel(tun, storageOf(node.inputs[0]))],
  lower(node, ctx, [shape]) {
    const table = ctx.val(node.inputs[0]);
    const ids = ctx.dense(node.inputs[1]);
    const [vocab, h] = table.shape;
    const host = ctx.env.hostInts(node.inputs[1]);
    if (host) checkIds(host, vocab);
    const y = ctx.output(node, 0, shape);
    const n = numel(ids.shape) * h;
    if (!n) return;
    if (table.cap !== undefined) throw new BackendError(`Gather "${node.name}": the table cannot be a KV cache`);
    const chunks = table.chunks ?? [{ slot: table.slot, rowStart: 0, rows: vocab }];
    chunks.forEach((c, i) => {
      ctx.step(gatherKernel(ctx.tun, table.storage ?? 'f32'), [c.slot, ids.slot, y.slot], GATHER_FIELDS, [n, h, c.rowStart, c.rows, vocab, i === 0 ? 1 : 0], ctx.flat(n));
    });
  },
};
