import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Add / Mul with b broadcast from the right (mode 0: same shape, 1: b is a contiguous suffix, 2: general, with
 * a's shape and b's strides (0 on broadcast dims) in sh0..7 / bs0..7), SiluMul, GeluTanhMul, Relu, Softcap. One thread
 * per element.
 */
export type BinaryOp = 'add' | 'mul';

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

/** The flat kernels of one or two inputs: n elements, and c (Softcap's cap; unused by the others). */
export const UNARY_FIELDS: readonly Field[] = [['n', 'u32'], ['c', 'f32']];
export type UnaryOp = 'silu-mul' | 'gelu-tanh-mul' | 'relu' | 'softcap';

/** tanh with its argument clamped to ±15 (tanh is ±1 in f32 there; some exp-based tanh give NaN far out) */
const TANH = 'fn tanhC(v: f32) -> f32 { return tanh(clamp(v, -15.0, 15.0)); }\n';
const GELU_TANH = 'fn geluTanh(g: f32) -> f32 { return 0.5 * g * (1.0 + tanhC(0.7978845608028654 * (g + 0.044715 * g * g * g))); }\n';

/** y per element: silu(g)·u, gelu_tanh(g)·u, relu(x) or c·tanh(x/c). */
const UNARY: Record<UnaryOp, { gated: boolean; fns: string; expr: string }> = {
  'silu-mul': { gated: true, fns: '', expr: 'g / (1.0 + exp(-g)) * u[i]' },
  'gelu-tanh-mul': { gated: true, fns: TANH + GELU_TANH, expr: 'geluTanh(g) * u[i]' },
  relu: { gated: false, fns: '', expr: 'select(0.0, g, g > 0.0)' },
  softcap: { gated: false, fns: TANH, expr: 'p.c * tanhC(g / p.c)' },
};

export function unaryKernel(tun: Tunables, op: UnaryOp) {
  const wg = tun.elementwiseWorkgroupSize;
  const { gated, fns, expr } = UNARY[op];
  return memoSpec(`${op}|${wg}`, () => ({
    name: `elementwise-${op}`,
    storage: gated ? ['read', 'read', 'write'] : ['read', 'write'],
    code: `${paramsStruct(UNARY_FIELDS)}${storage(1, 'x', 'read', 'f32')}${gated ? storage(2, 'u', 'read', 'f32') + storage(3, 'y', 'write', 'f32') : storage(2, 'y', 'write', 'f32')}${fns}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let g = x[i];
  y[i] = ${expr};
}
`,
  }));
}
