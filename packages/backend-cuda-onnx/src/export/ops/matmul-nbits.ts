import { MS_DOMAIN } from '../../flags.js';
import type { BlockForm, OnnxBuilder } from '../onnx-builder.js';

/**
 * y = x · wᵀ for a block-quantized w [N, K] (PyTorch Linear layout, which is MatMulNBits' B layout already):
 *   y [.., N] = MatMulNBits(x [.., K], data [N, K/bs, bs·bits/8], scales [N·K/bs], zero points)
 * and where the format has per-block mins (q4_k: value = scale·q − min):
 *   y −= MatMul(ReduceSum(Reshape(x, [.., K/bs, bs]), -1) [.., K/bs], minsᵀ [K/bs, N])
 */
export function matMulNBits(b: OnnxBuilder, name: string, x: string, weight: string, q: BlockForm, out?: string): string {
  const { rows: n, cols: k, bits, blockSize } = q;
  const blocks = k / blockSize;
  const inputs = [
    x,
    b.derivedInitializer(`${weight}.q${bits}`, 'u8', [n, blocks, (blockSize * bits) / 8], q.source, () => q.arrays().data),
    b.derivedInitializer(`${weight}.scales`, 'f32', [n * blocks], q.source, () => q.arrays().scales),
  ];
  if (q.zeroPointBytesPerRow !== null) {
    inputs.push(b.derivedInitializer(`${weight}.zero_points`, 'u8', [n * q.zeroPointBytesPerRow], q.source, () => q.arrays().zeroPoints!));
  }
  const level = b.options.matMulNBitsAccuracyLevel;
  const attrs = {
    K: { kind: 'int' as const, value: k }, N: { kind: 'int' as const, value: n },
    bits: { kind: 'int' as const, value: bits }, block_size: { kind: 'int' as const, value: blockSize },
    ...(level === undefined ? {} : { accuracy_level: { kind: 'int' as const, value: level } }),
  };
  if (!q.hasMins) {
    q.release();
    return b.op1('MatMulNBits', inputs, { name, domain: MS_DOMAIN, attrs, ...(out ? { outputs: [out] } : {}) });
  }
  const scaled = b.op1('MatMulNBits', inputs, { name, domain: MS_DOMAIN, attrs });
  const rank = b.shapeOf(x).length;
  const grouped = b.op1('Reshape', [x, b.constI64([...new Array<number>(rank - 1).fill(0), blocks, blockSize])], { name }); // [.., K/bs, bs]
  const sums = b.op1('ReduceSum', [grouped, b.constI64([-1])], { name, attrs: { keepdims: { kind: 'int', value: 0 } } }); // [.., K/bs]
  const minsT = b.derivedInitializer(`${weight}.mins.T`, 'f32', [blocks, n], q.source, () => transposeMins(q.arrays().mins!, n, blocks));
  q.release();
  const offset = b.op1('MatMul', [sums, minsT], { name }); // [.., N]
  return b.op1('Sub', [scaled, offset], { name, ...(out ? { outputs: [out] } : {}) });
}

function transposeMins(mins: Float32Array, rows: number, blocks: number): Float32Array {
  const out = new Float32Array(mins.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < blocks; j++) out[j * rows + r] = mins[r * blocks + j];
  return out;
}
