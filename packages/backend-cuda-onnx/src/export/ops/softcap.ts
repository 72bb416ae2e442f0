import type { OnnxBuilder } from '../onnx-builder.js';
import type { Lowering } from './lowering.js';

/** cap · tanh(x / cap), elementwise; returns the output name (`out` when given). */
export function softcapOf(b: OnnxBuilder, name: string, x: string, cap: number, out?: string): string {
  const cap32 = b.scalarF32(cap);
  const t = b.op1('Tanh', [b.op1('Div', [x, cap32], { name })], { name });
  return b.op1('Mul', [t, cap32], { name, ...(out ? { outputs: [out] } : {}) });
}

export const lowerSoftcap: Lowering<'Softcap'> = (b, node) => {
  softcapOf(b, node.name, b.value(node.inputs[0]), node.attrs.cap, node.outputs[0]);
};
