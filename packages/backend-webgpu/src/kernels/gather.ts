import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Embedding lookup: y[t, j] = table[ids[t], j]. A table larger than one storage binding is split by rows; each
 * chunk's dispatch writes the rows whose id falls in [rowStart, rowStart + rows). Ids outside the vocabulary
 * give zeros (host feeds are checked before the run, as backend-cpu does).
 */
export const GATHER_FIELDS: readonly Field[] = [['n', 'u32'], ['h', 'u32'], ['rowStart', 'i32'], ['rows', 'i32'], ['vocab', 'i32'], ['zeroInvalid', 'u32']];

export function gatherKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`gather|${wg}`, () => ({
    name: 'gather',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(GATHER_FIELDS)}${storage(1, 'table', 'read', 'f32')}${storage(2, 'ids', 'read', 'i32')}${storage(3, 'y', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let t = i / p.h;
  let j = i - t * p.h;
  let id = ids[t];
  let r = id - p.rowStart;
  if (r >= 0 && r < p.rows) {
    y[i] = table[u32(r) * p.h + j];
  } else if (p.zeroInvalid == 1u && (id < 0 || id >= p.vocab)) {
    y[i] = 0.0;
  }
}
`,
  }));
}
