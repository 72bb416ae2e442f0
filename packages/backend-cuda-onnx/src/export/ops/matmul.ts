import { EXACT_8BIT_MATMUL_NBITS } from '../../flags.js';
import type { OnnxBuilder } from '../onnx-builder.js';
import type { Lowering } from './lowering.js';
import { matMulNBits } from './matmul-nbits.js';

/**
 * y = x · wᵀ (+ bias). A weight in a ggml block format becomes com.microsoft MatMulNBits over its repacked blocks;
 * any other weight a MatMul with the weight pre-transposed to [K, N] (ORT prepacks constant B). Then the bias Add.
 * 8-bit blocks (q8_0, q6_k) take the f32 MatMul in the exact mode: see EXACT_8BIT_MATMUL_NBITS.
 */
export const lowerMatMul: Lowering<'MatMul'> = (b, node) => {
  const [x, w, bias] = node.inputs;
  const [y] = node.outputs;
  if (bias === undefined) {
    linear(b, node.name, b.value(x), w, y);
    return;
  }
  b.op('Add', [linear(b, node.name, b.value(x), w), b.value(bias)], { name: node.name, outputs: [y] });
};

/** x · wᵀ for IR weight/value w [N, K] (MatMulNBits or MatMul as above); returns the output name (`out` when given). */
export function linear(b: OnnxBuilder, name: string, x: string, w: string, out?: string): string {
  const blocks = b.blockQuantized(w);
  const slow8Bit = blocks?.bits === 8 && b.options.matMulNBitsAccuracyLevel === undefined && !EXACT_8BIT_MATMUL_NBITS;
  const q = slow8Bit ? null : blocks;
  return q
    ? matMulNBits(b, name, x, w, q, out)
    : b.op1('MatMul', [x, b.weightT(w)], { name, ...(out ? { outputs: [out] } : {}) });
}
