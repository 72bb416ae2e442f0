import type { OpType } from '@xlora/core';
import { lowerAttention } from './attention.js';
import { lowerAdd, lowerMul } from './binary.js';
import { lowerGather } from './gather.js';
import { lowerGeluTanhMul } from './gelu-tanh-mul.js';
import type { Lowering } from './lowering.js';
import { lowerMatMul } from './matmul.js';
import { lowerMoeMlp } from './moe-mlp.js';
import { lowerRmsNorm } from './rms-norm.js';
import { lowerRope } from './rope.js';
import { lowerReshape, lowerSlice } from './shape-ops.js';
import { lowerSoftcap } from './softcap.js';
import { lowerSoftmax } from './softmax.js';
import { lowerRelu, lowerSiluMul } from './unary.js';
import { lowerXLoraMixture } from './xlora-mixture.js';

/** One lowering per op of the catalog (the type makes a missing op a compile error). */
export const LOWERINGS: { [K in OpType]: Lowering<K> } = {
  Gather: lowerGather,
  MatMul: lowerMatMul,
  Add: lowerAdd,
  Mul: lowerMul,
  RmsNorm: lowerRmsNorm,
  Rope: lowerRope,
  Attention: lowerAttention,
  SiluMul: lowerSiluMul,
  Relu: lowerRelu,
  Softmax: lowerSoftmax,
  Reshape: lowerReshape,
  Slice: lowerSlice,
  XLoraMixture: lowerXLoraMixture,
  GeluTanhMul: lowerGeluTanhMul,
  Softcap: lowerSoftcap,
  MoeMlp: lowerMoeMlp,
};

export type { Lowering };
