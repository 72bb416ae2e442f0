import { BackendError, numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * Sums x down to like's shape (like broadcasts to x from the right). Both shapes are padded on the left to rank 8:
 * xs0..7 is x's shape, ls0..7 like's (1 where x is summed). One thread per output element walks the `reps` =
 * numel(x) / numel(like) elements of x that broadcast from it, in increasing x index order.
 */
const RANK = 8;
const DIMS = Array.from({ length: RANK }, (_, d) => d);
const FIELDS: readonly Field[] = [
  ['n', 'u32'], ['reps', 'u32'],
  ...DIMS.map((d) => [`xs${d}`, 'u32'] as Field),
  ...DIMS.map((d) => [`ls${d}`, 'u32'] as Field),
];

function sumLikeKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  const sw = (f: string) => `switch d { ${DIMS.map((d) => `case ${d}u: { return p.${f}${d}; }`).join(' ')} default: { return 1u; } }`;
  return memoSpec(`sum-like|${wg}`, () => ({
    name: 'sum-like',
    storage: ['read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'y', 'write', 'f32')}
fn xDim(d: u32) -> u32 { ${sw('xs')} }
fn lDim(d: u32) -> u32 { ${sw('ls')} }
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let o = wg * ${wg}u + li;
  if (o >= p.n) { return; }
  // like coordinates of o (the kept dims), then each rep's coordinates over the summed dims
  var lc: array<u32, ${RANK}>;
  var rem = o;
  for (var d = ${RANK - 1}; d >= 0; d--) {
    let s = lDim(u32(d));
    lc[d] = rem % s;
    rem = rem / s;
  }
  var acc = 0.0;
  for (var r = 0u; r < p.reps; r++) {
    var rr = r;
    var xi = 0u;
    var stride = 1u;
    for (var d = ${RANK - 1}; d >= 0; d--) {
      let xd = xDim(u32(d));
      var c = lc[d];
      if (lDim(u32(d)) != xd) {
        c = rr % xd;
        rr = rr / xd;
      }
      xi += c * stride;
      stride *= xd;
    }
    acc += x[xi];
  }
  y[o] = acc;
}
`,
  }));
}

export const sumLikeOp: WebGpuTrainingOp<'SumLike'> = {
  kernels: (_n, { tun }) => [sumLikeKernel(tun)],
  lower(node, ctx, [shape]) {
    const x = ctx.dense(node.inputs[0]);
    const like = ctx.val(node.inputs[1]).shape;
    const off = x.shape.length - like.length;
    if (x.shape.length > RANK || off < 0 || like.some((d, i) => d !== 1 && d !== x.shape[off + i])) {
      throw new BackendError(`SumLike "${node.name}": [${like.join(', ')}] must broadcast to x [${x.shape.join(', ')}] from the right (rank <= ${RANK})`);
    }
    const y = ctx.output(node, 0, shape);
    const n = numel(like);
    if (!n) return;
    const xs = new Array<number>(RANK).fill(1);
    const ls = new Array<number>(RANK).fill(1);
    x.shape.forEach((d, i) => (xs[RANK - x.shape.length + i] = d));
    like.forEach((d, i) => (ls[RANK - like.length + i] = d));
    ctx.step(sumLikeKernel(ctx.tun), [x.slot, y.slot], FIELDS, [n, numel(x.shape) / n, ...xs, ...ls], ctx.flat(n));
  },
};
