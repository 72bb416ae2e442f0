import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';

/**
 * The backward passes of the flat ops, one thread per element: ReluGrad and SoftcapGrad (x, dy -> dx; c is the cap),
 * SiluMulGrad and GeluTanhMulGrad (gate, up, dy -> dgate, dup). The formulas are backend-cpu's kernels'.
 */
export const ELEMENTWISE_GRAD_FIELDS: readonly Field[] = [['n', 'u32'], ['c', 'f32']];
export type ElementwiseGradOp = 'relu-grad' | 'softcap-grad' | 'silu-mul-grad' | 'gelu-tanh-mul-grad';

const TANH = 'fn tanhC(v: f32) -> f32 { return tanh(clamp(v, -15.0, 15.0)); }\n';
const K = '0.7978845608028654';

/** body per element: x/g = first input, u = up, d = dy; writes dx (dg) and du */
const GRADS: Record<ElementwiseGradOp, { gated: boolean; fns: string; body: string }> = {
  'relu-grad': { gated: false, fns: '', body: 'dx[i] = select(0.0, d, g > 0.0);' },
  'softcap-grad': { gated: false, fns: TANH, body: 'let th = tanhC(g / p.c);\n  dx[i] = d * (1.0 - th * th);' },
  'silu-mul-grad': {
    gated: true, fns: '',
    body: 'let sig = 1.0 / (1.0 + exp(-g));\n  du[i] = d * g * sig;\n  dx[i] = d * u[i] * sig * (1.0 + g * (1.0 - sig));',
  },
  'gelu-tanh-mul-grad': {
    gated: true, fns: TANH,
    body: `let th = tanhC(${K} * (g + 0.044715 * g * g * g));
  du[i] = d * 0.5 * g * (1.0 + th);
  dx[i] = d * u[i] * (0.5 * (1.0 + th) + 0.5 * g * (1.0 - th * th) * ${K} * (1.0 + 3.0 * 0.044715 * g * g));`,
  },
};

export function elementwiseGradKernel(tun: Tunables, op: ElementwiseGradOp) {
  const wg = tun.elementwiseWorkgroupSize;
  const { gated, fns, body } = GRADS[op];
  const bindings = gated
    ? storage(1, 'x', 'read', 'f32') + storage(2, 'u', 'read', 'f32') + storage(3, 'dy', 'read', 'f32') + storage(4, 'dx', 'write', 'f32') + storage(5, 'du', 'write', 'f32')
    : storage(1, 'x', 'read', 'f32') + storage(2, 'dy', 'read', 'f32') + storage(3, 'dx', 'write', 'f32');
  return memoSpec(`${op}|${wg}`, () => ({
    name: op,
    storage: gated ? ['read', 'read', 'read', 'write', 'write'] : ['read', 'read', 'write'],
    code: `${paramsStruct(ELEMENTWISE_GRAD_FIELDS)}${bindings}${fns}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let g = x[i];
  let d = dy[i];
  ${body}
}
`,
  }));
}
