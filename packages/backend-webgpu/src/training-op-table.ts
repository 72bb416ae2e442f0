import type { TrainingOpType } from '@xlora/core';
import { crossEntropyGradOp } from './kernels/training/cross-entropy-grad.js';
import { crossEntropyOp } from './kernels/training/cross-entropy.js';
import { dropoutOp } from './kernels/training/dropout.js';
import { geluTanhMulGradOp, reluGradOp, siluMulGradOp, softcapGradOp } from './kernels/training/elementwise-grad-ops.js';
import { matmulNNOp } from './kernels/training/matmul-nn.js';
import { matmulTNOp } from './kernels/training/matmul-tn.js';
import { softmaxGradOp } from './kernels/training/softmax-grad.js';
import { sumLikeOp } from './kernels/training/sum-like.js';
import { rmsNormGradOp } from './kernels/training/rms-norm-grad.js';
import { ropeGradOp } from './kernels/training/rope-grad.js';
import { sliceGradOp } from './kernels/training/slice-grad.js';
import { gatherGradOp } from './kernels/training/gather-grad.js';
import { attentionGradOp } from './kernels/training/attention-grad.js';
import { xloraMixtureGradOp } from './kernels/training/xlora-mixture-grad.js';
import { moeMlpGradOp } from './kernels/training/moe-mlp-grad.js';
import type { WebGpuTrainingOp } from './training-op-entry.js';

/** One entry per training op (the type makes a missing op a compile error). */
export const TRAINING_OPS: { [K in TrainingOpType]: WebGpuTrainingOp<K> } = {
  MatMulNN: matmulNNOp,
  MatMulTN: matmulTNOp,
  SumLike: sumLikeOp,
  RmsNormGrad: rmsNormGradOp,
  RopeGrad: ropeGradOp,
  AttentionGrad: attentionGradOp,
  SiluMulGrad: siluMulGradOp,
  GeluTanhMulGrad: geluTanhMulGradOp,
  SoftcapGrad: softcapGradOp,
  MoeMlpGrad: moeMlpGradOp,
  ReluGrad: reluGradOp,
  SoftmaxGrad: softmaxGradOp,
  SliceGrad: sliceGradOp,
  GatherGrad: gatherGradOp,
  XLoraMixtureGrad: xloraMixtureGradOp,
  CrossEntropy: crossEntropyOp,
  CrossEntropyGrad: crossEntropyGradOp,
  Dropout: dropoutOp,
};

/** The table's entry for a training op, typed for any training node. */
export function trainingOpEntry(op: TrainingOpType): WebGpuTrainingOp<TrainingOpType> {
  return TRAINING_OPS[op] as unknown as WebGpuTrainingOp<TrainingOpType>;
}
