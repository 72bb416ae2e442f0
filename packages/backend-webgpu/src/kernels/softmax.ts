import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/** softmax(x / temperature) over the last axis: one workgroup per row, max and sum by workgroup reductions. */
export const SOFTMAX_FIELDS: readonly Field[] = [['rows', 'u32'], ['n', 'u32'], ['temperature', 'f32']];

export function softmaxKernel(tun: Tunables) {
  const wg = tun.reduceWorkgroupSize;
  return memoSpec(`softmax|${wg}`, () => ({
    name: 'softmax',
    storage: ['read', 'write'],
    code: `${paramsStruct(SOFTMAX_FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'y', 'write', 'f32')}
var<workgroup> red: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  if (wg >= p.rows) { return; }
  let base = wg * p.n;
  var m = -3.0e38;
  for (var i = li; i < p.n; i += ${wg}u) { m = max(m, x[base + i] / p.temperature); }
  red[li] = m;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var i = li; i < p.n; i += ${wg}u) { sum += exp(x[base + i] / p.temperature - mx); }
  red[li] = sum;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];
  for (var i = li; i < p.n; i += ${wg}u) { y[base + i] = exp(x[base + i] / p.temperature - mx) * inv; }
}
`,
  }));
}
