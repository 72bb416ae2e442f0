import type { OpType } from '@xlora/core';
import { attentionOp } from './kernels/attention-op.js';
import { addOp, geluTanhMulOp, mulOp, reluOp, siluMulOp, softcapOp } from './kernels/elementwise-ops.js';
import { gatherOp } from './kernels/gather-op.js';
import { matmulOp } from './kernels/matmul-op.js';
import { moeMlpOp } from './kernels/moe-mlp-op.js';
import { rmsNormOp } from './kernels/rms-norm-op.js';
import { ropeOp } from './kernels/rope-op.js';
import { reshapeOp, sliceOp } from './kernels/shape-ops.js';
import { softmaxOp } from './kernels/softmax-op.js';
import { xloraMixtureOp } from './kernels/xlora-mixture-op.js';
import type { WebGpuOp } from './op-entry.js';

/** One entry per op of the catalog (the type makes a missing op a compile error). */
export const OPS: { [K in OpType]: WebGpuOp<K> } = {
  Gather: gatherOp,
  MatMul: matmulOp,
  Add: addOp,
  Mul: mulOp,
  RmsNorm: rmsNormOp,
  Rope: ropeOp,
  Attention: attentionOp,
  SiluMul: siluMulOp,
  Relu: reluOp,
  Softmax: softmaxOp,
  Reshape: reshapeOp,
  Slice: sliceOp,
  XLoraMixture: xloraMixtureOp,
  GeluTanhMul: geluTanhMulOp,
  Softcap: softcapOp,
  MoeMlp: moeMlpOp,
};

/** The table's entry for an op, typed for any node. */
export function opEntry(op: OpType): WebGpuOp<OpType> {
  return OPS[op] as unknown as WebGpuOp<OpType>;
}
