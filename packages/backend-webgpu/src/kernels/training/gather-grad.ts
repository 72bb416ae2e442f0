import { numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * Gather backward w.r.t. the table: dtable[v, c] = Σ over positions i with ids[i] = v of dy[i, c] (positions in
 * order; ids outside [0, V) add nowhere: the forward Gather rejected them). One thread per table element.
 */
const FIELDS: readonly Field[] = [['vocab', 'u32'], ['hidden', 'u32'], ['count', 'u32']];

function gatherGradKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`gather-grad|${wg}`, () => ({
    name: 'gather-grad',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'dy', 'read', 'f32')}${storage(2, 'ids', 'read', 'i32')}${storage(3, 'dt', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let e = wg * ${wg}u + li;
  if (e >= p.vocab * p.hidden) { return; }
  let v = i32(e / p.hidden);
  let c = e % p.hidden;
  var acc = 0.0;
  for (var i = 0u; i < p.count; i++) { if (ids[i] == v) { acc += dy[i * p.hidden + c]; } }
  dt[e] = acc;
}
`,
  }));
}

export const gatherGradOp: WebGpuTrainingOp<'GatherGrad'> = {
  kernels: (_n, { tun }) => [gatherGradKernel(tun)],
  lower(node, ctx, [shape]) {
    const dy = ctx.dense(node.inputs[0]);
    const ids = ctx.dense(node.inputs[1]);
    const [vocab, hidden] = shape;
    const dt = ctx.output(node, 0, shape);
    const n = vocab * hidden;
    if (n) ctx.step(gatherGradKernel(ctx.tun), [dy.slot, ids.slot, dt.slot], FIELDS, [vocab, hidden, numel(ids.shape)], ctx.flat(n));
  },
};
