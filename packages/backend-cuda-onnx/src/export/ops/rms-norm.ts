import type { Lowering } from './lowering.js';

/**
 * y = x / sqrt(mean(x², -1) + eps) · w.
 * Standard ops: Mul(x,x) -> ReduceMean(-1) -> Add eps -> Sqrt -> Reciprocal -> Mul x -> Mul w.
 * Contrib (options.contribOps.simplifiedLayerNorm): SimplifiedLayerNormalization (ORT registers it in the ONNX domain).
 */
export const lowerRmsNorm: Lowering<'RmsNorm'> = (b, node, plan) => {
  if (plan.fusedNorms.has(node.name)) return; // emitted with the Add that feeds it
  const [x, w] = node.inputs;
  const [y] = node.outputs;
  const { eps } = node.attrs;
  if (b.options.contribOps?.simplifiedLayerNorm) {
    b.op('SimplifiedLayerNormalization', [b.value(x), b.value(w)], {
      name: node.name, outputs: [y],
      attrs: { axis: { kind: 'int', value: -1 }, epsilon: { kind: 'float', value: eps }, stash_type: { kind: 'int', value: 1 } },
    });
    return;
  }
  const xs = b.value(x);
  const sq = b.op1('Mul', [xs, xs], { name: node.name });
  const mean = b.op1('ReduceMean', [sq, b.constI64([-1])], { name: node.name, attrs: { keepdims: { kind: 'int', value: 1 } } });
  const rms = b.op1('Sqrt', [b.op1('Add', [mean, b.scalarF32(eps)], { name: node.name })], { name: node.name });
  const normed = b.op1('Mul', [xs, b.op1('Reciprocal', [rms], { name: node.name })], { name: node.name });
  b.op('Mul', [normed, b.value(w)], { name: node.name, outputs: [y] });
};
