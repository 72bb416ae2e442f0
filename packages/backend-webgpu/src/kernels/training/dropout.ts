import { BackendError, numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * Inverted dropout with @xlora/core's counter-based generator (dropout-mask.ts), in u32 arithmetic so the mask is
 * bit for bit backend-cpu's: key = pcg(seed ^ pcg(stream)); element i is kept when pcg(key + i) / 2³² ≥ p. The keep
 * test compares integers: pcg(·) ≥ threshold, threshold = ceil(p·2³²) (computed in f64 on the host).
 */
const FIELDS: readonly Field[] = [['n', 'u32'], ['stream', 'u32'], ['threshold', 'u32'], ['dropAll', 'u32'], ['scale', 'f32']];

function dropoutKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`dropout|${wg}`, () => ({
    name: 'dropout',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'seed', 'read', 'i32')}${storage(3, 'y', 'write', 'f32')}
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let key = pcg(bitcast<u32>(seed[0]) ^ pcg(p.stream));
  let keep = p.dropAll == 0u && pcg(key + i) >= p.threshold;
  y[i] = select(0.0, x[i] * p.scale, keep);
}
`,
  }));
}

export const dropoutOp: WebGpuTrainingOp<'Dropout'> = {
  kernels: (_n, { tun }) => [dropoutKernel(tun)],
  lower(node, ctx, [shape]) {
    const { p, stream } = node.attrs;
    if (!(p >= 0 && p < 1)) throw new BackendError(`Dropout "${node.name}": p must be in [0, 1), got ${p}`);
    const x = ctx.dense(node.inputs[0]);
    const seed = ctx.dense(node.inputs[1]);
    if (seed.dtype !== 'i32' || numel(seed.shape) !== 1) throw new BackendError(`Dropout "${node.name}": the seed must be an i32 [1] tensor, got ${seed.dtype} [${seed.shape.join(', ')}]`);
    const y = ctx.output(node, 0, shape);
    const n = numel(shape);
    // hash / 2³² ≥ p  <=>  hash ≥ ceil(p·2³²) for integer hashes; p·2³² < 2³² since p < 1
    const t = Math.ceil(p * 4294967296);
    const params = [n, stream >>> 0, t >>> 0, t >= 4294967296 ? 1 : 0, 1 / (1 - p)];
    if (n) ctx.step(dropoutKernel(ctx.tun), [x.slot, seed.slot, y.slot], FIELDS, params, ctx.flat(n));
  },
};
