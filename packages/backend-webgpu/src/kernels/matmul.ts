import { BUILTINS, FLAT_WG, grid, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';
import { WEIGHT_LOADERS, type WeightStorage } from './weight-load/index.js';

/**
 * y[m, nOff + n] = epilogue(Σ_k x[m, k] · w[n, k])  (x [M,K], w [N,K] row-major: PyTorch's Linear layout)
 *
 * Paths (tunables in flags.ts):
 * - gemv (M <= gemvMaxRows, decode): a workgroup computes `gemvColumns` outputs for all M rows; the threads
 *   of a column split K (vec4 loads when K % 4 == 0) and a workgroup tree reduction sums them.
 * - tiled (prefill): register-tiled GEMM, (wgY·tm) x (wgX·tn) outputs per workgroup, K in steps of tk staged in
 *   workgroup memory; two tile shapes (small M, large M).
 * - direct (CPU-emulated adapters: SwiftShader, lavapipe): no workgroup memory, no barriers; each thread computes
 *   a tm x tn block from x and w (tm = M when M <= gemvMaxRows, so decode does no redundant rows).
 * Epilogues: none, bias (+ bias[nOff + n]), residual (+ res[m, nOff + n]: the X-LoRA up-projection adding `base`),
 * xlora (× the token's effective expert scaling, top-k / softmax-over-top-k folded in: the rank-space GEMM).
 * A weight larger than one storage binding is split by rows of w: one dispatch per chunk, with nOff / outStride.
 * The weight is read through its storage format's loader (weight-load/): load_w4(n, k) / load_w(n, k), so the
 * tiling strategies here do not know how a format packs its values.
 */
export type MatmulPath = 'gemv' | 'tiled-small' | 'tiled-large' | 'direct';
export type Epilogue = 'none' | 'bias' | 'residual' | 'xlora';

export interface MatmulVariant {
  path: MatmulPath;
  /** K % 4 == 0: vec4 loads */
  vec: boolean;
  epilogue: Epilogue;
  /** xlora epilogue: top-k masking / softmax over the kept experts */
  topK?: boolean;
  softmaxTopK?: boolean;
  /** how the weight is stored (its loader); default f32 */
  w?: WeightStorage;
  /** direct path: rows per thread (M itself when M <= gemvMaxRows) */
  tm?: number;
}

export const MATMUL_FIELDS: readonly Field[] = [
  ['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['nOff', 'u32'], ['outStride', 'u32'],
  // xlora epilogue: token m = b * seq + s; scalings [sb, ss, lc, experts]
  ['seq', 'u32'], ['sb', 'u32'], ['ss', 'u32'], ['lc', 'u32'], ['layer', 'u32'], ['experts', 'u32'], ['topK', 'u32'], ['gw', 'f32'],
];

/** The kernel variant for an [M,K] x [N,K]ᵀ product (without epilogue fields). */
export function matmulChoice(tun: Tunables, rows: number, k: number): Pick<MatmulVariant, 'path' | 'vec' | 'tm'> {
  const vec = k % 4 === 0;
  if (tun.matmulDirect) return { path: 'direct', vec, tm: rows <= tun.gemvMaxRows ? Math.max(rows, 1) : tun.matmulDirect.tm };
  if (rows <= tun.gemvMaxRows) return { path: 'gemv', vec };
  return { path: rows <= tun.tiledSmallMaxRows ? 'tiled-small' : 'tiled-large', vec };
}

function directShape(tun: Tunables, v: Pick<MatmulVariant, 'tm'>) {
  const d = tun.matmulDirect!;
  const tm = v.tm ?? d.tm;
  return { wg: d.wg, tm, tn: tm <= tun.gemvMaxRows && tm < d.tm ? d.gemvTn : d.tn };
}

/** Workgroups for one dispatch over an [M, N] output. */
export function matmulGrid(tun: Tunables, v: Pick<MatmulVariant, 'path' | 'tm'>, m: number, n: number, maxDim: number): [number, number] {
  if (v.path === 'direct') {
    const d = directShape(tun, v);
    return grid(Math.ceil((Math.ceil(m / d.tm) * Math.ceil(n / d.tn)) / d.wg), maxDim);
  }
  if (v.path === 'gemv') return grid(Math.ceil(n / tun.gemvColumns), maxDim);
  const t = v.path === 'tiled-small' ? tun.tiledSmall : tun.tiledLarge;
  return grid(Math.ceil(m / (t.wgY * t.tm)) * Math.ceil(n / (t.wgX * t.tn)), maxDim);
}

function epilogueCode(v: MatmulVariant): { bindings: string; fn: string; extra: ('read')[] } {
  const after = 2;
  switch (v.epilogue) {
    case 'none':
      return { bindings: '', fn: 'fn epi(a: f32, m: u32, n: u32) -> f32 { return a; }', extra: [] };
    case 'bias':
      return { bindings: storage(after + 1, 'bias', 'read', 'f32'), fn: 'fn epi(a: f32, m: u32, n: u32) -> f32 { return a + bias[p.nOff + n]; }', extra: ['read'] };
    case 'residual':
      return { bindings: storage(after + 1, 'res', 'read', 'f32'), fn: 'fn epi(a: f32, m: u32, n: u32) -> f32 { return a + res[m * p.outStride + p.nOff + n]; }', extra: ['read'] };
    case 'xlora':
      return {
        bindings: storage(after + 1, 'sc', 'read', 'f32') + storage(after + 2, 'rowExpert', 'read', 'i32'),
        extra: ['read', 'read'],
        fn: `
// top-k membership of expert c in the scalings row at so (ties: lower index first, like a stable sort)
fn kept(so: u32, c: u32) -> bool {
  let v = sc[so + c];
  var above = 0u;
  for (var j = 0u; j < p.experts; j++) {
    let u = sc[so + j];
    if (u > v || (u == v && j < c)) { above++; }
  }
  return above < p.topK;
}
// the scaling of rank row r for token m: after top-k and softmax over the kept non-zero entries, times the global weight
fn eff_scale(m: u32, r: u32) -> f32 {
  let e = rowExpert[r];
  if (e < 0) { return 0.0; }
  let ue = u32(e);
  let b = m / p.seq;
  let s = m - b * p.seq;
  let so = ((select(b, 0u, p.sb == 1u) * p.ss + select(s, 0u, p.ss == 1u)) * p.lc + p.layer) * p.experts;
  ${v.topK ? 'if (!kept(so, ue)) { return 0.0; }' : ''}
  let v = sc[so + ue];
  ${v.softmaxTopK ? `if (v == 0.0) { return 0.0; }
  var mx = -3.0e38;
  for (var c = 0u; c < p.experts; c++) {
    let u = sc[so + c];
    if (u != 0.0${v.topK ? ' && kept(so, c)' : ''}) { mx = max(mx, u); }
  }
  var sum = 0.0;
  for (var c = 0u; c < p.experts; c++) {
    let u = sc[so + c];
    if (u != 0.0${v.topK ? ' && kept(so, c)' : ''}) { sum += exp(u - mx); }
  }
  return exp(v - mx) / sum * p.gw;` : 'return v * p.gw;'}
}
fn epi(a: f32, m: u32, n: u32) -> f32 { return a * eff_scale(m, n); }`,
      };
  }
}

function key(tun: Tunables, v: MatmulVariant): string {
  const t = v.path === 'direct' ? JSON.stringify(directShape(tun, v))
    : v.path === 'gemv' ? `${tun.gemvColumns}x${tun.gemvThreadsPerColumn}x${tun.gemvMaxRows}`
      : JSON.stringify(v.path === 'tiled-small' ? tun.tiledSmall : tun.tiledLarge);
  return `matmul|${v.path}|${t}|${v.vec ? 'v4' : 's'}|${v.epilogue}|${v.topK ? 'k' : ''}${v.softmaxTopK ? 's' : ''}|${v.w ?? 'f32'}`;
}

export function matmulKernel(tun: Tunables, v: MatmulVariant) {
  return memoSpec(key(tun, v), () => {
    const epi = epilogueCode(v);
    const load = WEIGHT_LOADERS[v.w ?? 'f32'];
    const xType = v.vec ? 'vec4f' : 'f32';
    const outBinding = 3 + epi.extra.length;
    const head = `${load.enable}${paramsStruct(MATMUL_FIELDS)}${storage(1, 'x', 'read', xType)}${load.binding(2, v.vec)}${epi.bindings}${storage(outBinding, 'y', 'write', 'f32')}
${load.functions('p.K', v.vec)}
${epi.fn}
`;
    const body = v.path === 'direct' ? directBody(v, directShape(tun, v)) : v.path === 'gemv' ? gemvBody(tun, v)
      : tiledBody(v, v.path === 'tiled-small' ? tun.tiledSmall : tun.tiledLarge);
    return { name: `matmul-${v.path}${v.epilogue === 'none' ? '' : '-' + v.epilogue}`, storage: ['read', 'read', ...epi.extra, 'write'], code: head + body };
  });
}

function gemvBody(tun: Tunables, v: MatmulVariant): string {
  const cols = tun.gemvColumns, tpc = tun.gemvThreadsPerColumn, rows = tun.gemvMaxRows;
  if ((tpc & (tpc - 1)) !== 0) throw new Error('tun.gemvThreadsPerColumn must be a power of two');
  const wg = cols * tpc;
  const load = v.vec
    ? `  let K4 = p.K / 4u;
    for (var k = t; k < K4; k += TPC) {
      let wv = load_w4(n, 4u * k);
      for (var r = 0u; r < MAXR; r++) { if (r < p.M) { acc[r] += dot(wv, x[r * K4 + k]); } }
    }`
    : `  for (var k = t; k < p.K; k += TPC) {
      let wv = load_w(n, k);
      for (var r = 0u; r < MAXR; r++) { if (r < p.M) { acc[r] += wv * x[r * p.K + k]; } }
    }`;
  return `const COLS = ${cols}u;
const TPC = ${tpc}u;
const WG = ${wg}u;
const MAXR = ${rows}u;
var<workgroup> red: array<f32, ${wg * rows}>;
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  if (wg * COLS >= p.N) { return; }
  let c = li / TPC;
  let t = li % TPC;
  let n = wg * COLS + c;
  var acc: array<f32, MAXR>;
  if (n < p.N) {
  ${load}
  }
  for (var r = 0u; r < MAXR; r++) { red[r * WG + li] = acc[r]; }
  workgroupBarrier();
  for (var s = TPC / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      for (var r = 0u; r < MAXR; r++) { red[r * WG + li] += red[r * WG + li + s]; }
    }
    workgroupBarrier();
  }
  if (t == 0u && n < p.N) {
    for (var r = 0u; r < MAXR; r++) {
      if (r < p.M) { y[r * p.outStride + p.nOff + n] = epi(red[r * WG + li], r, n); }
    }
  }
}
`;
}

/**
 * No workgroup memory and no barriers (best on CPU-emulated adapters such as SwiftShader and lavapipe, where
 * barriers are costly and global loads are cached): each thread computes a tm x tn block straight from x and w.
 */
function directBody(v: MatmulVariant, d: { wg: number; tm: number; tn: number }): string {
  const { wg, tm, tn } = d;
  const rows = Array.from({ length: tm }, (_, i) => i);
  const cols = Array.from({ length: tn }, (_, j) => j);
  const kStep = v.vec ? 'K4' : 'p.K';
  const load = (j: number) => (v.vec ? `load_w4(wn${j}, 4u * k)` : `load_w(wn${j}, k)`);
  const mul = (a: string, b: string) => (v.vec ? `dot(${a}, ${b})` : `${a} * ${b}`);
  return `@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let tilesN = (p.N + ${tn - 1}u) / ${tn}u;
  let tile = wg * ${wg}u + li;
  let m0 = (tile / tilesN) * ${tm}u;
  let n0 = (tile % tilesN) * ${tn}u;
  if (m0 >= p.M) { return; }
  let K4 = ${v.vec ? 'p.K / 4u' : 'p.K'};
  ${rows.map((i) => `let xr${i} = min(m0 + ${i}u, p.M - 1u) * ${kStep};`).join('\n  ')}
  ${cols.map((j) => `let wn${j} = min(n0 + ${j}u, p.N - 1u);`).join('\n  ')}
  ${rows.flatMap((i) => cols.map((j) => `var a${i}_${j} = 0.0;`)).join(' ')}
  for (var k = 0u; k < K4; k++) {
    ${rows.map((i) => `let x${i} = x[xr${i} + k];`).join('\n    ')}
    ${cols.map((j) => `let w${j} = ${load(j)};`).join('\n    ')}
    ${rows.flatMap((i) => cols.map((j) => `a${i}_${j} += ${mul(`x${i}`, `w${j}`)};`)).join('\n    ')}
  }
  ${rows.flatMap((i) => cols.map((j) => `if (m0 + ${i}u < p.M && n0 + ${j}u < p.N) { y[(m0 + ${i}u) * p.outStride + p.nOff + n0 + ${j}u] = epi(a${i}_${j}, m0 + ${i}u, n0 + ${j}u); }`)).join('\n  ')}
}
`;
}

function tiledBody(v: MatmulVariant, t: { wgX: number; wgY: number; tm: number; tn: number; tk: number }): string {
  const { wgX, wgY, tm, tn, tk } = t;
  if (tk % 4 !== 0) throw new Error('matmul tile tk must be a multiple of 4');
  const nt = wgX * wgY, bm = wgY * tm, bn = wgX * tn;
  const loads = v.vec
    ? `    for (var l = li; l < BM * TK / 4u; l += NT) {
      let row = l / (TK / 4u);
      let kq = (l % (TK / 4u)) * 4u;
      let gm = m0 + row;
      let gk = k0 + kq;
      var a = vec4f(0.0);
      if (gm < p.M && gk < p.K) { a = x[(gm * p.K + gk) / 4u]; }
      xs[kq * BM + row] = a.x; xs[(kq + 1u) * BM + row] = a.y; xs[(kq + 2u) * BM + row] = a.z; xs[(kq + 3u) * BM + row] = a.w;
    }
    for (var l = li; l < BN * TK / 4u; l += NT) {
      let row = l / (TK / 4u);
      let kq = (l % (TK / 4u)) * 4u;
      let gn = n0 + row;
      let gk = k0 + kq;
      var b = vec4f(0.0);
      if (gn < p.N && gk < p.K) { b = load_w4(gn, gk); }
      ws[kq * BN + row] = b.x; ws[(kq + 1u) * BN + row] = b.y; ws[(kq + 2u) * BN + row] = b.z; ws[(kq + 3u) * BN + row] = b.w;
    }`
    : `    for (var l = li; l < BM * TK; l += NT) {
      let row = l / TK;
      let kk = l % TK;
      let gm = m0 + row;
      let gk = k0 + kk;
      var a = 0.0;
      if (gm < p.M && gk < p.K) { a = x[gm * p.K + gk]; }
      xs[kk * BM + row] = a;
    }
    for (var l = li; l < BN * TK; l += NT) {
      let row = l / TK;
      let kk = l % TK;
      let gn = n0 + row;
      let gk = k0 + kk;
      var b = 0.0;
      if (gn < p.N && gk < p.K) { b = load_w(gn, gk); }
      ws[kk * BN + row] = b;
    }`;
  return `const WGX = ${wgX}u;
const TM = ${tm}u;
const TN = ${tn}u;
const TK = ${tk}u;
const BM = ${bm}u;
const BN = ${bn}u;
const NT = ${nt}u;
var<workgroup> xs: array<f32, ${tk * bm}>;
var<workgroup> ws: array<f32, ${tk * bn}>;
@compute @workgroup_size(${nt})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let tilesN = (p.N + BN - 1u) / BN;
  let tilesM = (p.M + BM - 1u) / BM;
  if (wg >= tilesN * tilesM) { return; }
  let m0 = (wg / tilesN) * BM;
  let n0 = (wg % tilesN) * BN;
  let tx = li % WGX;
  let ty = li / WGX;
  var acc: array<f32, ${tm * tn}>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
${loads}
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<f32, ${tm}>;
      var b: array<f32, ${tn}>;
      for (var i = 0u; i < TM; i++) { a[i] = xs[kk * BM + ty * TM + i]; }
      for (var j = 0u; j < TN; j++) { b[j] = ws[kk * BN + tx * TN + j]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] += a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + ty * TM + i;
    for (var j = 0u; j < TN; j++) {
      let n = n0 + tx * TN + j;
      if (m < p.M && n < p.N) { y[m * p.outStride + p.nOff + n] = epi(acc[i * TN + j], m, n); }
    }
  }
}
`;
}
