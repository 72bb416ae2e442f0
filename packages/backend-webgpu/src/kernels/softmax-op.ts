import { numel } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { SOFTMAX_FIELDS, softmaxKernel } from './softmax.js';

export const softmaxOp: WebGpuOp<'Softmax'> = {
  kernels: (_node, { tun }) => [softmaxKernel(tun)],
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    const y = ctx.output(node, 0, shape);
    const n = x.shape[x.shape.length - 1];
    const rows = n ? numel(x.shape) / n : 0;
    if (rows) ctx.step(softmaxKernel(ctx.tun), [x.slot, y.slot], SOFTMAX_FIELDS, [rows, n, node.attrs.temperature], ctx.rows(rows));
  },
};
