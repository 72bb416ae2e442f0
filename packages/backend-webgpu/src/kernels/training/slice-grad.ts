import { numel, stridesOf } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * Slice backward: dx shaped like x, dy at the range Slice took on `axis`, zeros elsewhere. One thread per element
 * of x, viewed as [outer, len, inner]; dy is [outer, take, inner].
 */
const FIELDS: readonly Field[] = [['n', 'u32'], ['len', 'u32'], ['inner', 'u32'], ['start', 'u32'], ['take', 'u32']];

function sliceGradKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`slice-grad|${wg}`, () => ({
    name: 'slice-grad',
    storage: ['read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'dy', 'read', 'f32')}${storage(2, 'dx', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let c = i % p.inner;
  let a = (i / p.inner) % p.len;
  let o = i / (p.inner * p.len);
  var v = 0.0;
  if (a >= p.start && a < p.start + p.take) { v = dy[(o * p.take + a - p.start) * p.inner + c]; }
  dx[i] = v;
}
`,
  }));
}

export const sliceGradOp: WebGpuTrainingOp<'SliceGrad'> = {
  kernels: (_n, { tun }) => [sliceGradKernel(tun)],
  lower(node, ctx, [shape]) {
    const dy = ctx.dense(node.inputs[0]);
    const { axis } = node.attrs;
    const len = shape[axis];
    // Slice's clamp of a negative or out-of-range start (backend-cpu's slice-grad.ts)
    const start = Math.min(Math.max(node.attrs.start < 0 ? node.attrs.start + len : node.attrs.start, 0), len);
    const dx = ctx.output(node, 0, shape);
    const n = numel(shape);
    if (n) ctx.step(sliceGradKernel(ctx.tun), [dy.slot, dx.slot], FIELDS, [n, len, stridesOf(shape)[axis], start, dy.shape[axis]], ctx.flat(n));
  },
};
