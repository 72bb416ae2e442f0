import { BackendError, numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/** y = Σ_r a[r,:]ᵀ b[r,:]: a [rows, N], b [rows, K] -> [N, K]; one thread per output element, the sum over rows in order. */
const FIELDS: readonly Field[] = [['rows', 'u32'], ['n', 'u32'], ['k', 'u32']];

function matmulTNKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`matmul-tn|${wg}`, () => ({
    name: 'matmul-tn',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'a', 'read', 'f32')}${storage(2, 'b', 'read', 'f32')}${storage(3, 'y', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n * p.k) { return; }
  let j = i / p.k;
  let c = i % p.k;
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) { acc += a[r * p.n + j] * b[r * p.k + c]; }
  y[i] = acc;
}
`,
  }));
}

export const matmulTNOp: WebGpuTrainingOp<'MatMulTN'> = {
  kernels: (_n, { tun }) => [matmulTNKernel(tun)],
  lower(node, ctx, [shape]) {
    const a = ctx.dense(node.inputs[0]);
    const b = ctx.dense(node.inputs[1]);
    const n = a.shape[a.shape.length - 1];
    const k = b.shape[b.shape.length - 1];
    const rows = n ? numel(a.shape) / n : 0;
    if (k && numel(b.shape) / k !== rows) {
      throw new BackendError(`MatMulTN "${node.name}": a [...,N] and b [...,K] need the same leading dims, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    }
    const y = ctx.output(node, 0, shape);
    // no rows: the kernel writes the zeros of an empty sum
    if (n * k) ctx.step(matmulTNKernel(ctx.tun), [a.slot, b.slot, y.slot], FIELDS, [rows, n, k], ctx.flat(n * k));
  },
};
