import { BackendError, numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/** y = a · b: a [rows, N], b [N, K] -> [rows, K]; one thread per output element, the sum over N in order. */
const FIELDS: readonly Field[] = [['rows', 'u32'], ['n', 'u32'], ['k', 'u32']];

function matmulNNKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`matmul-nn|${wg}`, () => ({
    name: 'matmul-nn',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'a', 'read', 'f32')}${storage(2, 'b', 'read', 'f32')}${storage(3, 'y', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.rows * p.k) { return; }
  let r = i / p.k;
  let c = i % p.k;
  var acc = 0.0;
  for (var j = 0u; j < p.n; j++) { acc += a[r * p.n + j] * b[j * p.k + c]; }
  y[i] = acc;
}
`,
  }));
}

export const matmulNNOp: WebGpuTrainingOp<'MatMulNN'> = {
  kernels: (_n, { tun }) => [matmulNNKernel(tun)],
  lower(node, ctx, [shape]) {
    const a = ctx.dense(node.inputs[0]);
    const b = ctx.dense(node.inputs[1]);
    const [n, k] = b.shape;
    if (b.shape.length !== 2 || a.shape[a.shape.length - 1] !== n) {
      throw new BackendError(`MatMulNN "${node.name}": a [...,N] · b [N,K] needs matching N, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    }
    const y = ctx.output(node, 0, shape);
    const rows = n ? numel(a.shape) / n : numel(shape) / Math.max(k, 1);
    const total = rows * k;
    if (total) ctx.step(matmulNNKernel(ctx.tun), [a.slot, b.slot, y.slot], FIELDS, [rows, n, k], ctx.flat(total));
  },
};
