import { BackendError } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { Slot } from '../../plan.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';
import { rowExpertTable } from '../xlora-mixture.js';

/**
 * XLoraMixture backward, as backend-cpu's xlora-mixture-grad.ts. Per token m (M = B·S) with e = the layer's
 * effective scalings (top-k 0/1 mask, softmax over the survivors), g the global weight, rs(m, r) = e[m, expert(r)]·g
 * (0 for rank rows no expert owns), u = Â x, dm = B̂ᵀ dy:
 *   dB̂[j,r] = Σ_m dy[m,j]·u[m,r]·rs,  dÂ[r,i] = Σ_m dm[m,r]·rs·x[m,i],  dx[m,i] = Σ_r dm[m,r]·rs·Â[r,i],
 *   de[m,c] = g·Σ_{r∈c} dm·u, back through softmax-top-k / the top-k mask into the raw row, summed over the
 * scalings' broadcast dims into [B|1, S|1, layer|0, :]. Dispatches (each ≤ 5 storage bindings, one thread per
 * output element, sums in a fixed order): eff, u, dm, db, da, dx, drow (per token), dscalings.
 */
export const MAX_MIXTURE_EXPERTS = 64;
const FIELDS: readonly Field[] = [
  ['m', 'u32'], ['seq', 'u32'], ['din', 'u32'], ['dout', 'u32'], ['rank', 'u32'], ['experts', 'u32'],
  ['sb', 'u32'], ['ss', 'u32'], ['sl', 'u32'], ['layer', 'u32'], ['topK', 'u32'], ['softmaxTopK', 'u32'], ['g', 'f32'],
];

const HEAD = `${paramsStruct(FIELDS)}`;
/** raw scalings row offset of token m, and the top-k keep set of a row (larger first, lower index on ties) */
const ROW_FNS = `
fn rowOf(m: u32) -> u32 {
  let bi = select(m / p.seq, 0u, p.sb == 1u);
  let si = select(m % p.seq, 0u, p.ss == 1u);
  return ((bi * p.ss + si) * p.sl + p.layer) * p.experts;
}
// effective scalings of the raw row at o into e (without g); keep[c] = 1 where top-k keeps c
fn effective(o: u32, e: ptr<function, array<f32, ${MAX_MIXTURE_EXPERTS}>>, keep: ptr<function, array<u32, ${MAX_MIXTURE_EXPERTS}>>) {
  let n = p.experts;
  for (var c = 0u; c < n; c++) { (*keep)[c] = select(0u, 1u, p.topK >= n); }
  if (p.topK < n) {
    for (var k = 0u; k < p.topK; k++) {
      var best = n;
      for (var c = 0u; c < n; c++) {
        if ((*keep)[c] == 1u) { continue; }
        if (best == n || sc[o + c] > sc[o + best]) { best = c; }
      }
      (*keep)[best] = 1u;
    }
  }
  for (var c = 0u; c < n; c++) { (*e)[c] = select(0.0, sc[o + c], (*keep)[c] == 1u); }
  if (p.softmaxTopK == 1u) {
    var mx = -3.0e38;
    var any = false;
    for (var c = 0u; c < n; c++) { if ((*e)[c] != 0.0) { mx = max(mx, (*e)[c]); any = true; } }
    if (any) {
      var sum = 0.0;
      for (var c = 0u; c < n; c++) { if ((*e)[c] != 0.0) { (*e)[c] = exp((*e)[c] - mx); sum += (*e)[c]; } }
      for (var c = 0u; c < n; c++) { if ((*e)[c] != 0.0) { (*e)[c] = (*e)[c] / sum; } }
    }
  }
}
`;
/** rs(m, r) from effg [M, C] and the row-expert table */
const RS = 'fn rs(m: u32, r: u32) -> f32 { let c = table[r]; if (c < 0) { return 0.0; } return effg[m * p.experts + u32(c)]; }\n';

type Spec = { name: string; storage: ('read' | 'write')[]; bindings: [string, string][]; fns: string; count: string; body: string };

const KERNELS = {
  // effg[m, c] = e·g; one thread per token
  eff: {
    storage: ['read', 'write'], bindings: [['sc', 'f32'], ['effg', 'f32']], fns: ROW_FNS, count: 'p.m',
    body: `var e: array<f32, ${MAX_MIXTURE_EXPERTS}>;
  var keep: array<u32, ${MAX_MIXTURE_EXPERTS}>;
  effective(rowOf(i), &e, &keep);
  for (var c = 0u; c < p.experts; c++) { effg[i * p.experts + c] = e[c] * p.g; }`,
  },
  // u[m, r] = Σ_i a[r, i] x[m, i]
  u: {
    storage: ['read', 'read', 'write'], bindings: [['x', 'f32'], ['a', 'f32'], ['u', 'f32']], fns: '', count: 'p.m * p.rank',
    body: `let m = i / p.rank;
  let r = i % p.rank;
  var acc = 0.0;
  for (var k = 0u; k < p.din; k++) { acc += a[r * p.din + k] * x[m * p.din + k]; }
  u[i] = acc;`,
  },
  // dm[m, r] = Σ_j b[j, r] dy[m, j]
  dm: {
    storage: ['read', 'read', 'write'], bindings: [['dy', 'f32'], ['b', 'f32'], ['dm', 'f32']], fns: '', count: 'p.m * p.rank',
    body: `let m = i / p.rank;
  let r = i % p.rank;
  var acc = 0.0;
  for (var j = 0u; j < p.dout; j++) { acc += b[j * p.rank + r] * dy[m * p.dout + j]; }
  dm[i] = acc;`,
  },
  // db[j, r] = Σ_m dy[m, j] u[m, r] rs(m, r)
  db: {
    storage: ['read', 'read', 'read', 'read', 'write'], bindings: [['dy', 'f32'], ['u', 'f32'], ['effg', 'f32'], ['table', 'i32'], ['db', 'f32']],
    fns: RS, count: 'p.dout * p.rank',
    body: `let j = i / p.rank;
  let r = i % p.rank;
  var acc = 0.0;
  for (var m = 0u; m < p.m; m++) { acc += dy[m * p.dout + j] * u[m * p.rank + r] * rs(m, r); }
  db[i] = acc;`,
  },
  // da[r, k] = Σ_m dm[m, r] rs(m, r) x[m, k]
  da: {
    storage: ['read', 'read', 'read', 'read', 'write'], bindings: [['dm', 'f32'], ['effg', 'f32'], ['table', 'i32'], ['x', 'f32'], ['da', 'f32']],
    fns: RS, count: 'p.rank * p.din',
    body: `let r = i / p.din;
  let k = i % p.din;
  var acc = 0.0;
  for (var m = 0u; m < p.m; m++) { acc += dm[m * p.rank + r] * rs(m, r) * x[m * p.din + k]; }
  da[i] = acc;`,
  },
  // dx[m, k] = Σ_r dm[m, r] rs(m, r) a[r, k]
  dx: {
    storage: ['read', 'read', 'read', 'read', 'write'], bindings: [['dm', 'f32'], ['effg', 'f32'], ['table', 'i32'], ['a', 'f32'], ['dx', 'f32']],
    fns: RS, count: 'p.m * p.din',
    body: `let m = i / p.din;
  let k = i % p.din;
  var acc = 0.0;
  for (var r = 0u; r < p.rank; r++) { acc += dm[m * p.rank + r] * rs(m, r) * a[r * p.din + k]; }
  dx[i] = acc;`,
  },
  // drow[m, c]: de = g·Σ_{r∈c} dm·u, then back through softmax-top-k / the top-k mask; one thread per token
  drow: {
    storage: ['read', 'read', 'read', 'read', 'write'], bindings: [['dm', 'f32'], ['u', 'f32'], ['table', 'i32'], ['sc', 'f32'], ['drow', 'f32']],
    fns: ROW_FNS, count: 'p.m',
    body: `var e: array<f32, ${MAX_MIXTURE_EXPERTS}>;
  var keep: array<u32, ${MAX_MIXTURE_EXPERTS}>;
  var de: array<f32, ${MAX_MIXTURE_EXPERTS}>;
  effective(rowOf(i), &e, &keep);
  for (var c = 0u; c < p.experts; c++) { de[c] = 0.0; }
  for (var r = 0u; r < p.rank; r++) {
    let c = table[r];
    if (c >= 0) { de[u32(c)] += p.g * dm[i * p.rank + r] * u[i * p.rank + r]; }
  }
  let o = i * p.experts;
  if (p.softmaxTopK == 0u) {
    for (var c = 0u; c < p.experts; c++) { drow[o + c] = select(0.0, de[c], keep[c] == 1u); }
    return;
  }
  var dot = 0.0;
  for (var c = 0u; c < p.experts; c++) { if (e[c] != 0.0) { dot += e[c] * de[c]; } }
  for (var c = 0u; c < p.experts; c++) { drow[o + c] = select(0.0, e[c] * (de[c] - dot), e[c] != 0.0); }`,
  },
  // dsc[sb, ss, sl, C]: the tokens' drow summed over the broadcast dims, at the layer's slot (0 at other layers)
  dsc: {
    storage: ['read', 'write'], bindings: [['drow', 'f32'], ['dsc', 'f32']], fns: '', count: 'p.sb * p.ss * p.sl * p.experts',
    body: `let c = i % p.experts;
  let l = (i / p.experts) % p.sl;
  let si = (i / (p.experts * p.sl)) % p.ss;
  let bi = i / (p.experts * p.sl * p.ss);
  var acc = 0.0;
  if (l == p.layer) {
    for (var m = 0u; m < p.m; m++) {
      if ((p.sb == 1u || m / p.seq == bi) && (p.ss == 1u || m % p.seq == si)) { acc += drow[m * p.experts + c]; }
    }
  }
  dsc[i] = acc;`,
  },
} satisfies Record<string, Omit<Spec, 'name'>>;

type Part = keyof typeof KERNELS;

function partKernel(tun: Tunables, part: Part) {
  const wg = tun.elementwiseWorkgroupSize;
  const k = KERNELS[part];
  return memoSpec(`xlora-mixture-grad-${part}|${wg}`, () => ({
    name: `xlora-mixture-grad-${part}`,
    storage: k.storage as ('read' | 'write')[],
    code: `${HEAD}${k.bindings.map(([n, t], i) => storage(i + 1, n, k.storage[i] as 'read' | 'write', t)).join('')}${k.fns}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= ${k.count}) { return; }
  ${k.body}
}
`,
  }));
}

const PARTS = Object.keys(KERNELS) as Part[];
const totalRank = (segments: readonly { rank: number }[]) => segments.reduce((n, s) => n + s.rank, 0);

export const xloraMixtureGradOp: WebGpuTrainingOp<'XLoraMixtureGrad'> = {
  constant: (node) => ({ data: rowExpertTable(totalRank(node.attrs.segments), node.attrs.segments), what: `${node.name} row experts` }),
  kernels: (_n, { tun }) => PARTS.map((p) => partKernel(tun, p)),
  lower(node, ctx, shapes) {
    const attrs = node.attrs;
    const [x, a, b, sc, dy] = node.inputs.map((n) => ctx.dense(n));
    const [batch, seq, din] = x.shape;
    const [rank] = a.shape;
    const dout = b.shape[0];
    const [sb, ss, sl, experts] = sc.shape;
    if (experts > MAX_MIXTURE_EXPERTS) throw new BackendError(`XLoraMixtureGrad "${node.name}": at most ${MAX_MIXTURE_EXPERTS} experts on the webgpu backend, got ${experts}`);
    if (rank !== totalRank(attrs.segments)) throw new BackendError(`XLoraMixtureGrad "${node.name}": A has ${rank} rank rows, the segments cover ${totalRank(attrs.segments)}`);
    const [dx, da, db, dsc] = shapes.map((s, i) => ctx.output(node, i, s));
    const m = batch * seq;
    const layer = sl === 1 ? 0 : attrs.layer;
    const params = [m, seq, din, dout, rank, experts, sb, ss, sl, layer, attrs.topK ?? 0xffffffff, attrs.softmaxTopK ? 1 : 0, attrs.globalWeight];
    const table = ctx.slot('ext', 0, 'mixture rows', ctx.env.nodeConst(node));
    const effg = ctx.slot('plan', m * experts * 4, `${node.name} e·g`);
    const u = ctx.slot('plan', m * rank * 4, `${node.name} u`);
    const dm = ctx.slot('plan', m * rank * 4, `${node.name} dm`);
    const drow = ctx.slot('plan', m * experts * 4, `${node.name} drow`);
    const run = (part: Part, slots: Slot[], count: number) => {
      if (count > 0) ctx.step(partKernel(ctx.tun, part), slots, FIELDS, params, ctx.flat(count));
    };
    run('eff', [sc.slot, effg], m);
    run('u', [x.slot, a.slot, u], m * rank);
    run('dm', [dy.slot, b.slot, dm], m * rank);
    run('db', [dy.slot, u, effg, table, db.slot], dout * rank);
    run('da', [dm, effg, table, x.slot, da.slot], rank * din);
    run('dx', [dm, effg, table, a.slot, dx.slot], m * din);
    run('drow', [dm, u, table, sc.slot, drow], m);
    run('dsc', [drow, dsc.slot], sb * ss * sl * experts);
  },
};
