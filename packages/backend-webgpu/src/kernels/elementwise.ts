import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Add / Mul with b broadcast from the right (mode 0: same shape, 1: b is a contiguous suffix, 2: general, with
 * a's shape and b's strides (0 on broadcast dims) in sh0..7 / bs0..7), SiluMul, Relu. One thread per element.
 */
export type BinaryOp = 'add' | 'mul';
export type UnaryOp = 'relu';

const MAX_RANK = 8;
export const BINARY_FIELDS: readonly Field[] = [
  ['n', 'u32'], ['bn', 'u32'], ['rank', 'u32'], ['mode', 'u32'],
  ...Array.from({ length: MAX_RANK }, (_, i) => [`sh${i}`, 'u32'] as Field),
  ...Array.from({ length: MAX_RANK }, (_, i) => [`bs${i}`, 'u32'] as Field),
];
export const BINARY_MAX_RANK = MAX_RANK;

export function binaryKernel(tun: Tunables, op: BinaryOp) {
  const wg = tun.elementwiseWorkgroupSize;
  const expr = op === 'add' ? 'a[i] + b[bi]' : 'a[i] * b[bi]';
  const dims = Array.from({ length: MAX_RANK }, (_, d) => d);
  return memoSpec(`binary-${op}|${wg}`, () => ({
    name: `elementwise-${op}`,
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(BINARY_FIELDS)}${storage(1, 'a', 'read', 'f32')}${storage(2, 'b', 'read', 'f32')}${storage(3, 'y', 'write', 'f32')}
fn dimOf(d: u32) -> u32 {
  switch d { ${dims.map((d) => `case ${d}u: { return p.sh${d}; }`).join(' ')} default: { return 1u; } }
}
fn strideOf(d: u32) -> u32 {
  switch d { ${dims.map((d) => `case ${d}u: { return p.bs${d}; }`).join(' ')} default: { return 0u; } }
}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  var bi = i;
  if (p.mode == 1u) {
    bi = i % p.bn;
  } else if (p.mode == 2u) {
    var rem = i;
    bi = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let s = dimOf(u32(d));
      bi += (rem % s) * strideOf(u32(d));
      rem = rem / s;
    }
  }
  y[i] = ${expr};
}
`,
  }));
}

export const UNARY_FIELDS: readonly Field[] = [['n', 'u32']];

/** silu(gate) * up when `silu`, else relu(x). */
export function unaryKernel(tun: Tunables, op: 'silu-mul' | 'relu') {
  const wg = tun.elementwiseWorkgroupSize;
  const silu = op === 'silu-mul';
  return memoSpec(`${op}|${wg}`, () => ({
    name: `elementwise-${op}`,
    storage: silu ? ['read', 'read', 'write'] : ['read', 'write'],
    code: `${paramsStruct(UNARY_FIELDS)}${storage(1, 'x', 'read', 'f32')}${silu ? storage(2, 'u', 'read', 'f32') + storage(3, 'y', 'write', 'f32') : storage(2, 'y', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let g = x[i];
  ${silu ? 'y[i] = g / (1.0 + exp(-g)) * u[i];' : 'y[i] = select(0.0, g, g > 0.0);'}
}
`,
  }));
}
