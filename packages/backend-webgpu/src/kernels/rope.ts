import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Rotary embedding (HF rotate_half), one thread per (token, head, i < headDim/2).
 * mode 1 (positions known on the host, the usual case): cos/sin come from a rotary table [positions, half, 2]
 * built on the host exactly as backend-cpu computes them (f32(pos · invFreq), cos/sin in double, × factor, f32),
 * kept per invFreq and grown on demand, like the cos/sin caches of LLM engines.
 * mode 0 (positions only on the device): the angle is formed on the GPU from invFreq as f32 hi + lo (table
 * [half, 2]) with exact partial products and error-free sums, then sin/cos with Cody–Waite reduction and minimax
 * polynomials (WGSL's sin/cos only promise 2^-11 inside [-π, π]). Exact on SwiftShader; a driver that reassociates
 * float math (lavapipe) can be an ulp of the angle off at large positions.
 */
export const ROPE_FIELDS: readonly Field[] = [['n', 'u32'], ['heads', 'u32'], ['hd', 'u32'], ['half', 'u32'], ['factor', 'f32'], ['mode', 'u32']];

export const WGSL_SINCOS = `
fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
// a = hi + lo with 12 significant bits each, by masking (not Veltkamp's 4097·a, which FMA contraction breaks)
fn split12(a: f32) -> vec2f {
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  return vec2f(hi, a - hi);
}
// f32(pos * (hi + lo)) for an integer pos with |pos| < 2^24: every partial product is exact, so the compiler
// fusing multiplies into adds cannot change the sum
fn exact_angle(ipos: i32, hi: f32, lo: f32) -> f32 {
  let ph = f32(ipos & ~0xfff);
  let pl = f32(ipos & 0xfff);
  let h = split12(hi);
  var s = two_sum(ph * h.x, ph * h.y);
  var e = s.y;
  s = two_sum(s.x, pl * h.x); e += s.y;
  s = two_sum(s.x, pl * h.y); e += s.y;
  s = two_sum(s.x, f32(ipos) * lo); e += s.y;
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

/**
 * The rotation of x by its angles, or with `transpose` by the opposite angles (rope backward: the same cos/sin, the
 * sin terms' signs swapped): y[i] = a·c ∓ b·s, y[i+hd/2] = b·c ± a·s.
 */
export function ropeKernel(tun: Tunables, transpose = false) {
  const wg = tun.elementwiseWorkgroupSize;
  const name = transpose ? 'rope-grad' : 'rope';
  const [minus, plus] = transpose ? ['+', '-'] : ['-', '+'];
  return memoSpec(`${name}|${wg}`, () => ({
    name,
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
  var c: f32;
  var s: f32;
  if (p.mode == 1u) {
    let o = (u32(pos[t]) * p.half + i) * 2u;
    c = freq[o];
    s = freq[o + 1u];
  } else {
    let sc = sincos(exact_angle(pos[t], freq[2u * i], freq[2u * i + 1u]));
    c = sc.y * p.factor;
    s = sc.x * p.factor;
  }
  let o = th * p.hd + i;
  let a = x[o];
  let b = x[o + p.half];
  y[o] = a * c ${minus} b * s;
  y[o + p.half] = b * c ${plus} a * s;
}
`,
  }));
}

/** Rotary table for positions [0, positions): (cos, sin) × factor per (pos, i), as backend-cpu computes them. */
export function ropeCosSinTable(invFreq: readonly number[], factor: number, positions: number): Float32Array {
  const half = invFreq.length;
  const t = new Float32Array(positions * half * 2);
  for (let pos = 0; pos < positions; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * invFreq[i]);
      t[(pos * half + i) * 2] = Math.cos(angle) * factor;
      t[(pos * half + i) * 2 + 1] = Math.sin(angle) * factor;
    }
  }
  return t;
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
