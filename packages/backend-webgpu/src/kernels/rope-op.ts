import { numel, type NodeOf, type TrainingNodeOf } from '@xlora/core';
import type { Lowering } from '../lower.js';
import type { WebGpuOp } from '../op-entry.js';
import { ROPE_FIELDS, ropeFrequencyTable, ropeKernel } from './rope.js';

/**
 * Rotary embedding. Positions fed from the host read a cos/sin table covering them (kept per invFreq by the
 * backend); positions only on the device compute the angles from the node's invFreq table (its compile constant).
 */
export const ropeOp: WebGpuOp<'Rope'> = {
  constant: (node) => ({ data: ropeFrequencyTable(node.attrs.invFreq), what: `${node.name} invFreq` }),
  kernels: (_node, { tun }) => [ropeKernel(tun)],
  lower: (node, ctx, [shape]) => lowerRotation(node, ctx, shape, false),
};

/**
 * One Rope step (or, with `transpose`, RopeGrad's: the same inputs, attrs and cos/sin table, opposite angles). The
 * rotary table depends on the attrs only (invFreq, factor), which RopeGrad shares with its Rope.
 */
export function lowerRotation(node: NodeOf<'Rope'> | TrainingNodeOf<'RopeGrad'>, ctx: Lowering, shape: number[], transpose: boolean): void {
  const x = ctx.dense(node.inputs[0]);
  const pos = ctx.dense(node.inputs[1]);
  const y = ctx.output(node, 0, shape);
  const { numHeads, headDim, attentionFactor } = node.attrs;
  const n = numel(pos.shape) * numHeads * (headDim / 2);
  if (!n) return;
  const host = ctx.env.hostInts(node.inputs[1]);
  let lo = 0, hi = -1;
  if (host) for (const v of host) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const useTable = !!host && lo >= 0;
  const table = useTable
    ? ctx.slot('ext', 0, 'rope cos/sin', ctx.env.ropeTable(node as NodeOf<'Rope'>, hi + 1))
    : ctx.slot('ext', 0, 'rope invFreq', ctx.env.nodeConst(node));
  ctx.step(ropeKernel(ctx.tun, transpose), [x.slot, pos.slot, table, y.slot], ROPE_FIELDS,
    [n, numHeads, headDim, headDim / 2, attentionFactor, useTable ? 1 : 0], ctx.flat(n));
}
