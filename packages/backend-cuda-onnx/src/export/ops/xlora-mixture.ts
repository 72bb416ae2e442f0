import { MASKED_SCORE } from '../../flags.js';
import type { OnnxBuilder } from '../onnx-builder.js';
import { tensorProto } from '../proto.js';
import type { Lowering } from './lowering.js';

/**
 * The X-LoRA mixture on one LoRA-wrapped linear module, from primitives:
 *   ax  [B,S,R]     = MatMul(x, Âᵀ)
 *   s   [B|1,S|1,C] = Gather(scalings, min(layer, Lc-1), axis 2)
 *   s               = top-k mask: TopK (ties: lower index first, as ONNX specifies) -> ScatterElements of ones -> Where
 *   s               = masked softmax over the non-zero entries: Softmax(Where(s≠0, s, lowest)), zeros kept by Where
 *   sR  [B|1,S|1,R] = MatMul(s, E)   with E [C,R] = globalWeight where rank r belongs to expert c, else 0
 *                     (repeat(s, r) · g in one exact product: one non-zero term per column; ranks no segment owns get 0)
 *   y               = base + MatMul(ax ⊙ sR, B̂ᵀ)
 */
export const lowerXLoraMixture: Lowering<'XLoraMixture'> = (b, node) => {
  const { layer, numExperts, segments, topK, softmaxTopK, globalWeight } = node.attrs;
  const name = node.name;
  const [x, base, a, bHat, scalings] = node.inputs;
  const rank = b.shapeOf(a)[0] as number;

  const ax = b.op1('MatMul', [b.value(x), b.weightT(a)], { name }); // [B,S,R]

  let s = b.op1('Gather', [b.value(scalings), layerIndex(b, name, scalings, layer)], { name, attrs: { axis: { kind: 'int', value: 2 } } });
  if (topK !== null && topK < numExperts) s = keepTopK(b, name, s, topK);
  if (softmaxTopK) s = softmaxNonZero(b, name, s);

  const expand = new Float32Array(numExperts * rank); // [C,R]
  for (const seg of segments) {
    for (let r = seg.offset; r < seg.offset + seg.rank; r++) expand[seg.expert * rank + r] = globalWeight;
  }
  const sR = b.op1('MatMul', [s, b.constF32(expand, [numExperts, rank])], { name });
  const mid = b.op1('Mul', [ax, sR], { name });
  const lora = b.op1('MatMul', [mid, b.weightT(bHat)], { name });
  b.op('Add', [b.value(base), lora], { name, outputs: node.outputs });
};

/** A scalar index: the layer, or the only row when the scalings are not layerwise (min(layer, Lc-1)). */
function layerIndex(b: OnnxBuilder, name: string, scalings: string, layer: number): string {
  const lc = b.shapeOf(scalings)[2];
  if (typeof lc === 'number') return b.scalarI64(Math.min(layer, lc - 1));
  const lcT = b.op1('Shape', [b.value(scalings)], { name, attrs: { start: { kind: 'int', value: 2 }, end: { kind: 'int', value: 3 } } });
  const last = b.op1('Sub', [b.op1('Squeeze', [lcT, b.constI64([0])], { name }), b.scalarI64(1)], { name });
  return b.op1('Min', [last, b.scalarI64(layer)], { name });
}

/** Keeps the k largest entries of the last axis (ties: lower index first), sets the others to exactly 0. */
function keepTopK(b: OnnxBuilder, name: string, s: string, k: number): string {
  const [, indices] = b.op('TopK', [s, b.constI64([k])], {
    name, outputs: [b.fresh(`${name}/topk_values`), b.fresh(`${name}/topk_indices`)],
    attrs: { axis: { kind: 'int', value: -1 }, largest: { kind: 'int', value: 1 }, sorted: { kind: 'int', value: 1 } },
  });
  const bool = (v: boolean) => ({ kind: 'tensor' as const, value: boolTensor(v) });
  const none = b.op1('ConstantOfShape', [b.op1('Shape', [s], { name })], { name, attrs: { value: bool(false) } });
  const ones = b.op1('ConstantOfShape', [b.op1('Shape', [indices], { name })], { name, attrs: { value: bool(true) } });
  const keep = b.op1('ScatterElements', [none, indices, ones], { name, attrs: { axis: { kind: 'int', value: -1 } } });
  return b.op1('Where', [keep, s, b.scalarF32(0)], { name });
}

/** Softmax over the non-zero entries of the last axis; zero entries (and all-zero rows) stay 0. */
function softmaxNonZero(b: OnnxBuilder, name: string, s: string): string {
  const nonZero = b.op1('Not', [b.op1('Equal', [s, b.scalarF32(0)], { name })], { name });
  const lowest = b.scalarF32(MASKED_SCORE);
  const soft = b.op1('Softmax', [b.op1('Where', [nonZero, s, lowest], { name })], { name, attrs: { axis: { kind: 'int', value: -1 } } });
  return b.op1('Where', [nonZero, soft, b.scalarF32(0)], { name });
}

function boolTensor(v: boolean) {
  return tensorProto('', 'bool', [1], Uint8Array.of(v ? 1 : 0));
}
