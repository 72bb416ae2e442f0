import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';
import { WEIGHT_LOADERS, type WeightStorage } from './weight-load/index.js';

/**
 * Embedding lookup: y[t, j] = table[ids[t], j]. A table larger than one storage binding is split by rows; each
 * chunk's dispatch writes the rows whose id falls in [rowStart, rowStart + rows). Ids outside the vocabulary
 * give zeros (host feeds are checked before the run, as backend-cpu does). The table is read through its storage
 * format's loader (weight-load/), so a packed embedding table is gathered from without a dequantized copy.
 */
export const GATHER_FIELDS: readonly Field[] = [['n', 'u32'], ['h', 'u32'], ['rowStart', 'i32'], ['rows', 'i32'], ['vocab', 'i32'], ['zeroInvalid', 'u32']];

export function gatherKernel(tun: Tunables, table: WeightStorage = 'f32') {
  const wg = tun.elementwiseWorkgroupSize;
  const load = WEIGHT_LOADERS[table];
  return memoSpec(`gather|${wg}|${table}`, () => ({
    name: 'gather',
    storage: ['read', 'read', 'write'],
    code: `${load.enable}${paramsStruct(GATHER_FIELDS)}${load.binding(1, false)}${storage(2, 'ids', 'read', 'i32')}${storage(3, 'y', 'write', 'f32')}
${load.functions('p.h', false)}
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
    y[i] = load_w(u32(r), j);
  } else if (p.zeroInvalid == 1u && (id < 0 || id >= p.vocab)) {
    y[i] = 0.0;
  }
}
`,
  }));
}
