import type { Dim } from '../graph/dim.js';
import { outputShapes, ShapeError } from '../graph/shape-rules.js';
import { formatShape } from '../tensor.js';
import { isTrainingNode, type AnyNode, type TrainingNode } from './training-ops.js';

type DimList = readonly Dim[];

function need(cond: boolean, node: TrainingNode, what: string, shapes: readonly DimList[]): asserts cond {
  if (!cond) {
    throw new ShapeError(`${node.op} node "${node.name}": ${what} (input shapes ${shapes.map(formatShape).join(', ')})`);
  }
}

function sameDim(a: Dim, b: Dim): boolean {
  return a === b || typeof a === 'string' || typeof b === 'string';
}

function sameShape(a: DimList, b: DimList): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]));
}

/** Output shapes of a node of either catalog (see outputShapes for the inference ops). */
export function anyOutputShapes(node: AnyNode, ins: readonly DimList[]): Dim[][] {
  if (!isTrainingNode(node)) return outputShapes(node, ins);
  const last = (s: DimList) => s[s.length - 1];
  switch (node.op) {
    case 'MatMulNN': {
      const [a, b] = ins;
      need(b.length === 2 && sameDim(last(a), b[0]), node, "b must be [N,K] with N = a's last dim", ins);
      return [[...a.slice(0, -1), b[1]]];
    }
    case 'MatMulTN': {
      const [a, b] = ins;
      need(a.length === b.length && a.slice(0, -1).every((d, i) => sameDim(d, b[i])), node, 'a and b must share their leading dims', ins);
      return [[last(a), last(b)]];
    }
    case 'SumLike': {
      const [x, like] = ins;
      const off = x.length - like.length;
      need(off >= 0 && like.every((d, i) => d === 1 || sameDim(d, x[off + i])), node, "like's shape must broadcast to x's", ins);
      return [[...like]];
    }
    case 'RmsNormGrad': {
      const [x, w, dy] = ins;
      need(w.length === 1 && sameDim(w[0], last(x)) && sameShape(x, dy), node, 'x and dy must match, w must be [hidden]', ins);
      return [[...x], [...w]];
    }
    case 'RopeGrad': {
      const [dy, pos] = ins;
      const { numHeads, headDim, invFreq } = node.attrs;
      need(dy.length === 3 && sameDim(dy[2], numHeads * headDim), node, `dy must be [B,S,${numHeads}*${headDim}]`, ins);
      need(pos.length === 2 && sameDim(pos[0], dy[0]) && sameDim(pos[1], dy[1]), node, 'positionIds must be [B,S]', ins);
      need(headDim % 2 === 0 && invFreq.length === headDim / 2, node, 'invFreq must have headDim/2 entries', ins);
      return [[...dy]];
    }
    case 'AttentionGrad': {
      const [q, k, v, , , , dOut] = ins;
      need(ins.length === 7 && sameShape(q, dOut), node, 'inputs are q, k, v, pastK, pastV, mask, dOut (dOut shaped like q)', ins);
      return [[...q], [...k], [...v]];
    }
    case 'SiluMulGrad':
    case 'GeluTanhMulGrad': {
      const [g, u, dy] = ins;
      need(sameShape(g, u) && sameShape(g, dy), node, 'gate, up and dy must have equal shapes', ins);
      return [[...g], [...u]];
    }
    case 'ReluGrad':
    case 'SoftcapGrad':
    case 'SoftmaxGrad': {
      const [x, dy] = ins;
      need(sameShape(x, dy), node, 'the forward value and dy must have equal shapes', ins);
      return [[...x]];
    }
    case 'MoeMlpGrad': {
      const dy = ins[ins.length - 1];
      need(ins.length === 3 + 3 * node.attrs.numExperts && sameShape(ins[0], dy), node, 'inputs are x, routerLogits, 3 weights per expert, dy (shaped like x)', ins);
      return ins.slice(0, -1).map((s) => [...s]);
    }
    case 'SliceGrad':
      return [[...ins[1]]];
    case 'GatherGrad': {
      const [dy, ids, table] = ins;
      need(table.length === 2 && dy.length === ids.length + 1 && sameDim(last(dy), table[1]), node, 'dy must be [...ids, hidden] of a [vocab, hidden] table', ins);
      return [[...table]];
    }
    case 'XLoraMixtureGrad': {
      const [x, a, b, sc, dy] = ins;
      need(ins.length === 5 && x.length === 3 && dy.length === 3 && sameDim(dy[2], b[0]) && sameDim(x[2], a[1]), node,
        'inputs are x [B,S,in], a [R,in], b [out,R], scalings, dy [B,S,out]', ins);
      return [[...x], [...a], [...b], [...sc]];
    }
    case 'CrossEntropy': {
      const [logits, labels] = ins;
      need(logits.length === 3 && labels.length === 2 && sameDim(labels[0], logits[0]) && sameDim(labels[1], logits[1]), node,
        'logits must be [B,S,V] and labels [B,S]', ins);
      return [[1]];
    }
    case 'CrossEntropyGrad': {
      const [logits, labels, dLoss] = ins;
      need(logits.length === 3 && labels.length === 2 && dLoss.length === 1, node, 'inputs are logits [B,S,V], labels [B,S], dLoss [1]', ins);
      return [[...logits]];
    }
    case 'Dropout': {
      const [x, seed] = ins;
      need(seed.length === 1 && sameDim(seed[0], 1), node, 'seed must be i32 [1]', ins);
      need(node.attrs.p >= 0 && node.attrs.p < 1, node, `p must be in [0, 1), got ${node.attrs.p}`, ins);
      return [[...x]];
    }
  }
}
