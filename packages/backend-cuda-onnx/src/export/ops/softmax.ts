import type { Lowering } from './lowering.js';

/** softmax(x / temperature) over the last axis: Div (skipped at temperature 1), then Softmax(axis=-1). */
export const lowerSoftmax: Lowering<'Softmax'> = (b, node) => {
  const { temperature } = node.attrs;
  let x = b.value(node.inputs[0]);
  if (temperature !== 1) x = b.op1('Div', [x, b.scalarF32(temperature)], { name: node.name });
  b.op('Softmax', [x], { name: node.name, outputs: node.outputs, attrs: { axis: { kind: 'int', value: -1 } } });
};
