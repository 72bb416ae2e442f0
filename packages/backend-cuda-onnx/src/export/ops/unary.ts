import type { Lowering } from './lowering.js';

/** silu(gate) · up = Sigmoid(gate) · gate · up. */
export const lowerSiluMul: Lowering<'SiluMul'> = (b, node) => {
  const [gate, up] = node.inputs;
  const g = b.value(gate);
  const silu = b.op1('Mul', [g, b.op1('Sigmoid', [g], { name: node.name })], { name: node.name });
  b.op('Mul', [silu, b.value(up)], { name: node.name, outputs: node.outputs });
};

export const lowerRelu: Lowering<'Relu'> = (b, node) => {
  b.op('Relu', [b.value(node.inputs[0])], { name: node.name, outputs: node.outputs });
};
