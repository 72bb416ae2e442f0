import type { HostTensor, TrainingNodeOf, TrainingOpType } from '@xlora/core';
import { attentionGrad } from './kernels/attention-grad.js';
import { crossEntropyGrad } from './kernels/cross-entropy-grad.js';
import { crossEntropy } from './kernels/cross-entropy.js';
import { dropout } from './kernels/dropout.js';
import { geluTanhMulGrad } from './kernels/gelu-tanh-mul-grad.js';
import { softcapGrad } from './kernels/softcap-grad.js';
import { moeMlpGrad } from './kernels/moe-mlp-grad.js';
import { gatherGrad } from './kernels/gather-grad.js';
import { matmulNN } from './kernels/matmul-nn.js';
import { matmulTN } from './kernels/matmul-tn.js';
import { reluGrad } from './kernels/relu-grad.js';
import { rmsNormGrad } from './kernels/rms-norm-grad.js';
import { ropeGrad } from './kernels/rope-grad.js';
import { siluMulGrad } from './kernels/silu-mul-grad.js';
import { sliceGrad } from './kernels/slice-grad.js';
import { softmaxGrad } from './kernels/softmax-grad.js';
import { sumLike } from './kernels/sum-like.js';
import { xloraMixtureGrad } from './kernels/xlora-mixture-grad.js';

type Kernel<K extends TrainingOpType> = (node: TrainingNodeOf<K>, ins: HostTensor[]) => HostTensor[];

/** One kernel per training op (the type makes a missing one a compile error). Inputs are f32/i32 host tensors. */
export const TRAINING_KERNELS: { [K in TrainingOpType]: Kernel<K> } = {
  MatMulNN: (_n, [a, b]) => [matmulNN(a, b)],
  MatMulTN: (_n, [a, b]) => [matmulTN(a, b)],
  SumLike: (_n, [x, like]) => [sumLike(x, like)],
  RmsNormGrad: (n, [x, w, dy]) => rmsNormGrad(x, w, dy, n.attrs.eps),
  RopeGrad: (n, [dy, pos]) => [ropeGrad(dy, pos, n.attrs)],
  AttentionGrad: (n, [q, k, v, pk, pv, mask, dOut]) => attentionGrad(q, k, v, pk, pv, mask, dOut, n.attrs),
  SiluMulGrad: (_n, [g, u, dy]) => siluMulGrad(g, u, dy),
  GeluTanhMulGrad: (_n, [g, u, dy]) => geluTanhMulGrad(g, u, dy),
  SoftcapGrad: (n, [x, dy]) => [softcapGrad(x, dy, n.attrs.cap)],
  MoeMlpGrad: (n, ins) => moeMlpGrad(ins[0], ins[1], ins.slice(2, -1), ins[ins.length - 1], n.attrs),
  ReluGrad: (_n, [x, dy]) => [reluGrad(x, dy)],
  SoftmaxGrad: (n, [y, dy]) => [softmaxGrad(y, dy, n.attrs.temperature)],
  SliceGrad: (n, [dy, x]) => [sliceGrad(dy, x, n.attrs)],
  GatherGrad: (_n, [dy, ids, table]) => [gatherGrad(dy, ids, table)],
  XLoraMixtureGrad: (n, [x, a, b, sc, dy]) => xloraMixtureGrad(x, a, b, sc, dy, n.attrs),
  CrossEntropy: (n, [logits, labels]) => [crossEntropy(logits, labels, n.attrs)],
  CrossEntropyGrad: (n, [logits, labels, dLoss]) => [crossEntropyGrad(logits, labels, dLoss, n.attrs)],
  Dropout: (n, [x, seed]) => [dropout(x, seed, n.attrs)],
};

export function runTrainingNode(node: TrainingNodeOf<TrainingOpType>, ins: HostTensor[]): HostTensor[] {
  return (TRAINING_KERNELS[node.op] as Kernel<TrainingOpType>)(node, ins);
}
