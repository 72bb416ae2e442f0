import { numel } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { RMS_NORM_FIELDS, rmsNormKernel } from './rms-norm.js';

export const rmsNormOp: WebGpuOp<'RmsNorm'> = {
  kernels: (_node, { tun }) => [rmsNormKernel(tun)],
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    const w = ctx.dense(node.inputs[1]);
    const y = ctx.output(node, 0, shape);
    const h = w.shape[0];
    const rows = h ? numel(x.shape) / h : 0;
    if (rows) ctx.step(rmsNormKernel(ctx.tun), [x.slot, w.slot, y.slot], RMS_NORM_FIELDS, [rows, h, node.attrs.eps], ctx.rows(rows));
  },
};
