import { numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/** dx = y ⊙ (dy − Σ y⊙dy) / T over the last axis (y is the softmax output); one thread per row. */
const FIELDS: readonly Field[] = [['rows', 'u32'], ['n', 'u32'], ['temperature', 'f32']];

function softmaxGradKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`softmax-grad|${wg}`, () => ({
    name: 'softmax-grad',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'y', 'read', 'f32')}${storage(2, 'dy', 'read', 'f32')}${storage(3, 'dx', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let r = wg * ${wg}u + li;
  if (r >= p.rows) { return; }
  let o = r * p.n;
  var dot = 0.0;
  for (var i = 0u; i < p.n; i++) { dot += y[o + i] * dy[o + i]; }
  for (var i = 0u; i < p.n; i++) { dx[o + i] = y[o + i] * (dy[o + i] - dot) / p.temperature; }
}
`,
  }));
}

export const softmaxGradOp: WebGpuTrainingOp<'SoftmaxGrad'> = {
  kernels: (_n, { tun }) => [softmaxGradKernel(tun)],
  lower(node, ctx, [shape]) {
    const y = ctx.dense(node.inputs[0]);
    const dy = ctx.dense(node.inputs[1]);
    const dx = ctx.output(node, 0, shape);
    const n = shape[shape.length - 1];
    const rows = n ? numel(shape) / n : 0;
    if (rows) ctx.step(softmaxGradKernel(ctx.tun), [y.slot, dy.slot, dx.slot], FIELDS, [rows, n, node.attrs.temperature], ctx.flat(rows));
  },
};
