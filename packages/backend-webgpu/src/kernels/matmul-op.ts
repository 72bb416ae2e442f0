import { BackendError, numel } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { MATMUL_FIELDS, matmulChoice, matmulGrid, matmulKernel } from './matmul.js';

/** y = x · wᵀ (+ bias); a weight over one binding is split by rows (one dispatch per chunk, into its columns of y). */
export const matmulOp: WebGpuOp<'MatMul'> = {
  weights: { 1: { split: true, narrowToF16: true, packed: true } },
  kernels(node, { tun, dimOf, storageOf }) {
    const k = dimOf(node.inputs[1], 1);
    if (k === undefined) return [];
    // one decode row and a short prompt; other row counts compile on first use
    return [1, tun.gemvMaxRows + 1].map((m) => matmulKernel(tun, {
      ...matmulChoice(tun, m, k), epilogue: node.inputs[2] ? 'bias' : 'none', w: storageOf(node.inputs[1]),
    }));
  },
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    const w = ctx.val(node.inputs[1]);
    const bias = node.inputs[2] ? ctx.dense(node.inputs[2]) : undefined;
    const y = ctx.output(node, 0, shape);
    const [n, k] = w.shape;
    const m = k ? numel(x.shape) / k : numel(shape.slice(0, -1));
    if (!m || !n) return;
    if (w.cap !== undefined) throw new BackendError(`MatMul "${node.name}": the weight cannot be a KV cache`);
    const choice = matmulChoice(ctx.tun, m, k);
    const spec = matmulKernel(ctx.tun, { ...choice, epilogue: bias ? 'bias' : 'none', w: w.storage ?? 'f32' });
    const chunks = w.chunks ?? [{ slot: w.slot, rowStart: 0, rows: n }];
    for (const c of chunks) {
      const slots = bias ? [x.slot, c.slot, bias.slot, y.slot] : [x.slot, c.slot, y.slot];
      ctx.step(spec, slots, MATMUL_FIELDS, [m, c.rows, k, c.rowStart, n, 1, 1, 1, 1, 0, 0, 0, 0], matmulGrid(ctx.tun, choice, m, c.rows, ctx.env.maxDim));
    }
  },
};
