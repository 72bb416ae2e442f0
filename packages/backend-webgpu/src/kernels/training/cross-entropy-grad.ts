import { numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';
import { CE_FIELDS, CE_HELPERS, crossEntropyParams } from './cross-entropy.js';

/**
 * d loss / d logits = dLoss/N · (softmax(row) − onehot(label)) at each counted row, 0 at the others; one thread per
 * logits row (with shift, row b·S + t predicts labels[b, t + 1]; without, a row is its own position).
 */
function crossEntropyGradKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`cross-entropy-grad|${wg}`, () => ({
    name: 'cross-entropy-grad',
    storage: ['read', 'read', 'read', 'write'],
    code: `${paramsStruct(CE_FIELDS)}${storage(1, 'logits', 'read', 'f32')}${storage(2, 'labels', 'read', 'i32')}${storage(3, 'dLoss', 'read', 'f32')}${storage(4, 'dx', 'write', 'f32')}${CE_HELPERS}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let row = wg * ${wg}u + li;
  if (row >= p.batch * p.seq) { return; }
  let b = row / p.seq;
  let t = row % p.seq + p.shift;
  let o = row * p.vocab;
  if (t >= p.seq || !counted(b, t)) {
    for (var i = 0u; i < p.vocab; i++) { dx[o + i] = 0.0; }
    return;
  }
  let k = dLoss[0] / f32(countAll());
  let lse = rowLse(row);
  let label = u32(labelAt(b, t));
  for (var i = 0u; i < p.vocab; i++) { dx[o + i] = k * (exp(logits[o + i] - lse) - select(0.0, 1.0, i == label)); }
}
`,
  }));
}

export const crossEntropyGradOp: WebGpuTrainingOp<'CrossEntropyGrad'> = {
  kernels: (_n, { tun }) => [crossEntropyGradKernel(tun)],
  lower(node, ctx, [shape]) {
    const params = crossEntropyParams(node.name, node.op, node.attrs, ctx, node.inputs[0], node.inputs[1]);
    const [logits, labels, dLoss] = node.inputs.map((n) => ctx.dense(n));
    const dx = ctx.output(node, 0, shape);
    const rows = params[0] * params[1];
    if (numel(shape)) ctx.step(crossEntropyGradKernel(ctx.tun), [logits.slot, labels.slot, dLoss.slot, dx.slot], CE_FIELDS, params, ctx.flat(rows));
  },
};
