import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Rotary embedding (HF rotate_half), one thread per (token, head, i < headDim/2).
 * The angle is f32(pos · invFreq[i]) with invFreq given as f32 hi + lo (table [half, 2]): the product is formed
 * exactly from 12-bit pieces and summed with error-free transformations, so it rounds like backend-cpu's
 * Math.fround(pos * invFreq). sin/cos use their own range reduction (Cody–Waite by π/4) and minimax polynomials,
 * so large angles are accurate on every device (WGSL's sin/cos only promise 2^-11 inside [-π, π]).
 */
export const ROPE_FIELDS: readonly Field[] = [['n', 'u32'], ['heads', 'u32'], ['hd', 'u32'], ['half', 'u32'], ['factor', 'f32']];

export const WGSL_SINCOS = `
fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
fn split12(a: f32) -> vec2f {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2f(hi, a - hi);
}
// f32(pos * (hi + lo)) for an integer pos with |pos| < 2^24
fn exact_angle(pos: f32, hi: f32, lo: f32) -> f32 {
  let ph = floor(pos / 4096.0) * 4096.0;
  let pl = pos - ph;
  let h = split12(hi);
  var s = two_sum(ph * h.x, ph * h.y);
  var e = s.y;
  s = two_sum(s.x, pl * h.x); e += s.y;
  s = two_sum(s.x, pl * h.y); e += s.y;
  s = two_sum(s.x, pos * lo); e += s.y;
  return s.x + e;
}
// (sin a, cos a), cephes sinf/cosf
fn sincos(a: f32) -> vec2f {
  let ax = abs(a);
  var j = u32(ax * 1.27323954473516);
  var y = f32(j);
  if ((j & 1u) == 1u) { j += 1u; y += 1.0; }
  j = j & 7u;
  let x = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let z = x * x;
  let sp = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x;
  let cp = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  var s = sp;
  var c = cp;
  if (j == 2u) { s = cp; c = -sp; } else if (j == 4u) { s = -sp; c = -cp; } else if (j == 6u) { s = -cp; c = sp; }
  if (a < 0.0) { s = -s; }
  return vec2f(s, c);
}
`;

export function ropeKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`rope|${wg}`, () => ({
    name: 'rope',
    storage: ['read', 'read', 'read', 'write'],
    code: `${paramsStruct(ROPE_FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'pos', 'read', 'i32')}${storage(3, 'freq', 'read', 'f32')}${storage(4, 'y', 'write', 'f32')}
${WGSL_SINCOS}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let idx = wg * ${wg}u + li;
  if (idx >= p.n) { return; }
  let i = idx % p.half;
  let th = idx / p.half;           // token * heads + head
  let t = th / p.heads;
  let angle = exact_angle(f32(pos[t]), freq[2u * i], freq[2u * i + 1u]);
  let sc = sincos(angle);
  let c = sc.y * p.factor;
  let s = sc.x * p.factor;
  let o = th * p.hd + i;
  let a = x[o];
  let b = x[o + p.half];
  y[o] = a * c - b * s;
  y[o + p.half] = b * c + a * s;
}
`,
  }));
}

/** invFreq as f32 pairs (hi, lo) with hi + lo ≈ invFreq to ~2^-48. */
export function ropeFrequencyTable(invFreq: readonly number[]): Float32Array {
  const t = new Float32Array(invFreq.length * 2);
  invFreq.forEach((v, i) => {
    const hi = Math.fround(v);
    t[2 * i] = hi;
    t[2 * i + 1] = Math.fround(v - hi);
  });
  return t;
}
