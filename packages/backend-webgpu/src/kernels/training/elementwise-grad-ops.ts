import { BackendError, numel, type TrainingNodeOf } from '@xlora/core';
import type { Lowering } from '../../lower.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';
import { ELEMENTWISE_GRAD_FIELDS, elementwiseGradKernel, type ElementwiseGradOp } from './elementwise-grad.js';

type FlatGradNode = TrainingNodeOf<'ReluGrad' | 'SoftcapGrad' | 'SiluMulGrad' | 'GeluTanhMulGrad'>;

/** inputs (x, dy) or (gate, up, dy), all of one shape; outputs dx or (dgate, dup) */
function lowerFlatGrad(op: ElementwiseGradOp, node: FlatGradNode, ctx: Lowering, shapes: number[][], c = 0): void {
  const ins = node.inputs.map((name) => ctx.dense(name));
  const n = numel(shapes[0]);
  for (const v of ins) {
    if (numel(v.shape) !== n) throw new BackendError(`${node.op} "${node.name}": every input must have ${n} elements, got [${v.shape.join(', ')}]`);
  }
  const outs = shapes.map((s, i) => ctx.output(node, i, s));
  if (n) ctx.step(elementwiseGradKernel(ctx.tun, op), [...ins.map((v) => v.slot), ...outs.map((v) => v.slot)], ELEMENTWISE_GRAD_FIELDS, [n, c], ctx.flat(n));
}

export const reluGradOp: WebGpuTrainingOp<'ReluGrad'> = {
  kernels: (_n, { tun }) => [elementwiseGradKernel(tun, 'relu-grad')],
  lower: (node, ctx, shapes) => lowerFlatGrad('relu-grad', node, ctx, shapes),
};

export const softcapGradOp: WebGpuTrainingOp<'SoftcapGrad'> = {
  kernels: (_n, { tun }) => [elementwiseGradKernel(tun, 'softcap-grad')],
  lower(node, ctx, shapes) {
    if (!(node.attrs.cap > 0)) throw new BackendError(`SoftcapGrad "${node.name}": cap must be > 0, got ${node.attrs.cap}`);
    lowerFlatGrad('softcap-grad', node, ctx, shapes, node.attrs.cap);
  },
};

export const siluMulGradOp: WebGpuTrainingOp<'SiluMulGrad'> = {
  kernels: (_n, { tun }) => [elementwiseGradKernel(tun, 'silu-mul-grad')],
  lower: (node, ctx, shapes) => lowerFlatGrad('silu-mul-grad', node, ctx, shapes),
};

export const geluTanhMulGradOp: WebGpuTrainingOp<'GeluTanhMulGrad'> = {
  kernels: (_n, { tun }) => [elementwiseGradKernel(tun, 'gelu-tanh-mul-grad')],
  lower: (node, ctx, shapes) => lowerFlatGrad('gelu-tanh-mul-grad', node, ctx, shapes),
};
