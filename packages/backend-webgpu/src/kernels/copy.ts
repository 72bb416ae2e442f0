import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Strided block copy of 32-bit words (bit-exact for f32 and i32): for o < n / blk, j < blk:
 *   dst[dstOff + o*dstStride + j] = src[srcOff + o*srcStride + j]
 * Used by Slice, by compacting KV caches that carry spare capacity, and as an identity copy.
 */
export const COPY_FIELDS: readonly Field[] = [['n', 'u32'], ['blk', 'u32'], ['srcStride', 'u32'], ['srcOff', 'u32'], ['dstStride', 'u32'], ['dstOff', 'u32']];

export function copyKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`copy|${wg}`, () => ({
    name: 'copy',
    storage: ['read', 'write'],
    code: `${paramsStruct(COPY_FIELDS)}${storage(1, 'src', 'read', 'u32')}${storage(2, 'dst', 'write', 'u32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let o = i / p.blk;
  let j = i - o * p.blk;
  dst[p.dstOff + o * p.dstStride + j] = src[p.srcOff + o * p.srcStride + j];
}
`,
  }));
}
