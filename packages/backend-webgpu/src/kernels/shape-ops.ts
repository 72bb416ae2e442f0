import { stridesOf } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { copyKernel } from './copy.js';

/** Reshape aliases its input's buffer (a KV cache with spare capacity is compacted first). */
export const reshapeOp: WebGpuOp<'Reshape'> = {
  kernels: (_node, { tun }) => [copyKernel(tun)],
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    ctx.values.set(node.outputs[0], { slot: x.slot, shape, dtype: x.dtype });
  },
};

/** Slice along one axis: a strided block copy. */
export const sliceOp: WebGpuOp<'Slice'> = {
  kernels: (_node, { tun }) => [copyKernel(tun)],
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    const y = ctx.output(node, 0, shape, x.dtype);
    const { axis } = node.attrs;
    const len = x.shape[axis];
    const start = Math.min(Math.max(node.attrs.start < 0 ? node.attrs.start + len : node.attrs.start, 0), len);
    const inner = stridesOf(x.shape)[axis];
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const take = shape[axis] * inner;
    ctx.copy(x.slot, y.slot, outer, take, len * inner, start * inner, take, 0);
  },
};
