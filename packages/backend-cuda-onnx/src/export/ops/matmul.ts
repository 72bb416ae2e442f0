import type { Lowering } from './lowering.js';

/** y = x · wᵀ (+ bias): MatMul with the weight pre-transposed to [K, N] (ORT prepacks constant B), then Add. */
export const lowerMatMul: Lowering<'MatMul'> = (b, node) => {
  const [x, w, bias] = node.inputs;
  const [y] = node.outputs;
  if (bias === undefined) {
    b.op('MatMul', [b.value(x), b.weightT(w)], { name: node.name, outputs: [y] });
    return;
  }
  const xw = b.op1('MatMul', [b.value(x), b.weightT(w)], { name: node.name });
  b.op('Add', [xw, b.value(bias)], { name: node.name, outputs: [y] });
};
