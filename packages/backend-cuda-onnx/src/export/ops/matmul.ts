import type { Lowering } from './lowering.js';
import { matMulNBits } from './matmul-nbits.js';

/**
 * y = x · wᵀ (+ bias). A weight in a ggml block format becomes com.microsoft MatMulNBits over its repacked blocks;
 * any other weight a MatMul with the weight pre-transposed to [K, N] (ORT prepacks constant B). Then the bias Add.
 */
export const lowerMatMul: Lowering<'MatMul'> = (b, node) => {
  const [x, w, bias] = node.inputs;
  const [y] = node.outputs;
  const q = b.blockQuantized(w);
  const product = (out?: string) => q
    ? matMulNBits(b, node.name, b.value(x), w, q, out)
    : b.op1('MatMul', [b.value(x), b.weightT(w)], { name: node.name, ...(out ? { outputs: [out] } : {}) });
  if (bias === undefined) {
    product(y);
    return;
  }
  b.op('Add', [product(), b.value(bias)], { name: node.name, outputs: [y] });
};
