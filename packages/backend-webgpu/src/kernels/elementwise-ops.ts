import { BackendError, numel, stridesOf, type GraphNode, type NodeOf } from '@xlora/core';
import type { Lowering } from '../lower.js';
import type { WebGpuOp } from '../op-entry.js';
import { BINARY_FIELDS, BINARY_MAX_RANK, binaryKernel, UNARY_FIELDS, unaryKernel, type BinaryOp, type UnaryOp } from './elementwise.js';

/** a ⊙ b with b broadcast from the right: mode 0 same shape, 1 contiguous suffix, 2 general (shape and b strides). */
function lowerBinary(op: BinaryOp, node: NodeOf<'Add' | 'Mul'>, ctx: Lowering, shape: number[]): void {
  const a = ctx.dense(node.inputs[0]);
  const b = ctx.dense(node.inputs[1]);
  const y = ctx.output(node, 0, shape);
  const n = numel(a.shape);
  if (!n) return;
  const bn = numel(b.shape);
  const off = a.shape.length - b.shape.length;
  const isSuffix = b.shape.every((d, i) => d === a.shape[off + i]);
  let mode = 2;
  if (bn === n) mode = 0;
  else if (isSuffix) mode = 1;
  const sh = new Array<number>(BINARY_MAX_RANK).fill(1);
  const bs = new Array<number>(BINARY_MAX_RANK).fill(0);
  if (mode === 2) {
    if (a.shape.length > BINARY_MAX_RANK) throw new BackendError(`${node.op} "${node.name}": broadcasting supports rank <= ${BINARY_MAX_RANK}`);
    const bStr = stridesOf(b.shape);
    a.shape.forEach((d, i) => {
      sh[i] = d;
      const j = i - off;
      bs[i] = j >= 0 && b.shape[j] !== 1 ? bStr[j] : 0;
    });
  }
  ctx.step(binaryKernel(ctx.tun, op), [a.slot, b.slot, y.slot], BINARY_FIELDS, [n, Math.max(bn, 1), a.shape.length, mode, ...sh, ...bs], ctx.flat(n));
}

export const addOp: WebGpuOp<'Add'> = {
  kernels: (_node, { tun }) => [binaryKernel(tun, 'add')],
  lower: (node, ctx, [shape]) => lowerBinary('add', node, ctx, shape),
};

export const mulOp: WebGpuOp<'Mul'> = {
  kernels: (_node, { tun }) => [binaryKernel(tun, 'mul')],
  lower: (node, ctx, [shape]) => lowerBinary('mul', node, ctx, shape),
};

/** y = op(x) or op(gate)·up, one thread per element; `c` is Softcap's cap (0 for the others). */
function lowerUnary(op: UnaryOp, node: GraphNode, ctx: Lowering, shape: number[], c = 0): void {
  const inputs = node.inputs.map((name) => ctx.dense(name).slot);
  const y = ctx.output(node, 0, shape);
  const n = numel(shape);
  if (n) ctx.step(unaryKernel(ctx.tun, op), [...inputs, y.slot], UNARY_FIELDS, [n, c], ctx.flat(n));
}

/** silu(gate) · up */
export const siluMulOp: WebGpuOp<'SiluMul'> = {
  kernels: (_node, { tun }) => [unaryKernel(tun, 'silu-mul')],
  lower: (node, ctx, [shape]) => lowerUnary('silu-mul', node, ctx, shape),
};

/** gelu_tanh(gate) · up (GeGLU) */
export const geluTanhMulOp: WebGpuOp<'GeluTanhMul'> = {
  kernels: (_node, { tun }) => [unaryKernel(tun, 'gelu-tanh-mul')],
  lower: (node, ctx, [shape]) => lowerUnary('gelu-tanh-mul', node, ctx, shape),
};

export const reluOp: WebGpuOp<'Relu'> = {
  kernels: (_node, { tun }) => [unaryKernel(tun, 'relu')],
  lower: (node, ctx, [shape]) => lowerUnary('relu', node, ctx, shape),
};

/** cap · tanh(x / cap) */
export const softcapOp: WebGpuOp<'Softcap'> = {
  kernels: (_node, { tun }) => [unaryKernel(tun, 'softcap')],
  lower(node, ctx, [shape]) {
    const { cap } = node.attrs;
    if (!(cap > 0)) throw new BackendError(`Softcap "${node.name}": cap must be > 0, got ${cap}`);
    lowerUnary('softcap', node, ctx, shape, cap);
  },
};
