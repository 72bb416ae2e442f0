import { EXACT_8BIT_MATMUL_NBITS } from '../../flags.js';
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
  const blocks = b.blockQuantized(w);
  const slow8Bit = blocks?.bits === 8 && b.options.matMulNBitsAccuracyLevel === undefined && !EXACT_8BIT_MATMUL_NBITS;
  const q = slow8Bit ? null : blocks;
  const product = (out?: string) => q
    ? matMulNBits(b, node.name, b.value(x), w, q, out)
    : b.op1('MatMul', [b.value(x), b.weightT(w)], { name: node.name, ...(out ? { outputs: [out] } : {}) });
  if (bias === undefined) {
    product(y);
    return;
  }
  b.op('Add', [product(), b.value(bias)], { name: node.name, outputs: [y] });
};
