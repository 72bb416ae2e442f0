import type { Lowering } from './lowering.js';

/**
 * gelu_tanh(gate) · up with ONNX Gelu (opset 20) approximate="tanh", which is the same formula:
 * 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))).   gate, up [...,N] -> [...,N]
 */
export const lowerGeluTanhMul: Lowering<'GeluTanhMul'> = (b, node) => {
  const [gate, up] = node.inputs;
  const gelu = b.op1('Gelu', [b.value(gate)], { name: node.name, attrs: { approximate: { kind: 'string', value: 'tanh' } } });
  b.op('Mul', [gelu, b.value(up)], { name: node.name, outputs: node.outputs });
};
