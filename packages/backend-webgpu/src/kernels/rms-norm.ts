import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/** y = x / sqrt(mean(x²) + eps) · w, one workgroup per row, sum of squares by a workgroup tree reduction. */
export const RMS_NORM_FIELDS: readonly Field[] = [['rows', 'u32'], ['h', 'u32'], ['eps', 'f32']];

export function rmsNormKernel(tun: Tunables) {
  const wg = tun.reduceWorkgroupSize;
  return memoSpec(`rms-norm|${wg}`, () => ({
    name: 'rms-norm',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(RMS_NORM_FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'w', 'read', 'f32')}${storage(3, 'y', 'write', 'f32')}
var<workgroup> red: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  if (wg >= p.rows) { return; }
  let base = wg * p.h;
  var ss = 0.0;
  for (var i = li; i < p.h; i += ${wg}u) {
    let v = x[base + i];
    ss += v * v;
  }
  red[li] = ss;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / sqrt(red[0] / f32(p.h) + p.eps);
  for (var i = li; i < p.h; i += ${wg}u) {
    y[base + i] = w[i] * (x[base + i] * inv);
  }
}
`,
  }));
}
