import { BackendError } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { Slot } from '../../plan.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * MoeMlp backward, as backend-cpu's moe-mlp-grad.ts. Per token t: p = softmax(router), chosen = top-k of p (ties:
 * lower index first; no gradient through the selection), S = Σ_chosen p, w_j = p_j / S (0 for the others),
 * a = G_j x, b = U_j x, h = silu(a) ⊙ b, o_j = D_j h:
 *   dw_j = dy·o_j,  dD_j += w_j dy hᵀ,  dh = w_j D_jᵀ dy → da = dh·b·σ(a)(1 + a(1 − σ(a))), db = dh·a·σ(a),
 *   dG_j += da xᵀ, dU_j += db xᵀ, dx += G_jᵀ da + U_jᵀ db,
 *   dp_j = dw_j / S − Σ_k dw_k p_k / S² (chosen j), drouter = p ⊙ (dp − Σ p·dp).
 * Dispatches: route (per token: p and the chosen flags), then per expert j: ab, dw, dh, dD, dGU, dx (dx written
 * by expert 0, accumulated by the others; an unchosen expert has w = 0 and adds exact zeros), then router.
 */
const FIELDS: readonly Field[] = [['t', 'u32'], ['h', 'u32'], ['i', 'u32'], ['e', 'u32'], ['topK', 'u32'], ['j', 'u32'], ['acc', 'u32']];

/** route[t, c] = (p, chosen); wOf(t) = w_j of expert p.j */
const ROUTE_FNS = `
fn wOf(t: u32, c: u32) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < p.e; k++) { if (route[(t * p.e + k) * 2u + 1u] != 0.0) { s += route[(t * p.e + k) * 2u]; } }
  if (route[(t * p.e + c) * 2u + 1u] == 0.0) { return 0.0; }
  return route[(t * p.e + c) * 2u] / s;
}
`;
const SIG = 'fn sig(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }\n';
/** ab = [a (T×I), b (T×I)] */
const AB = 'fn aAt(t: u32, i: u32) -> f32 { return ab[t * p.i + i]; }\nfn bAt(t: u32, i: u32) -> f32 { return ab[p.t * p.i + t * p.i + i]; }\n';

const KERNELS = {
  // per token: softmax of the router row, top-k flags
  route: {
    storage: ['read', 'write'], bindings: [['router', 'f32'], ['route', 'f32']], fns: '', count: 'p.t',
    body: `let o = idx * p.e;
  var mx = -3.0e38;
  for (var c = 0u; c < p.e; c++) { mx = max(mx, router[o + c]); }
  var sum = 0.0;
  for (var c = 0u; c < p.e; c++) { sum += exp(router[o + c] - mx); }
  for (var c = 0u; c < p.e; c++) { route[(o + c) * 2u] = exp(router[o + c] - mx) / sum; route[(o + c) * 2u + 1u] = 0.0; }
  for (var k = 0u; k < min(p.topK, p.e); k++) {
    var best = p.e;
    for (var c = 0u; c < p.e; c++) {
      if (route[(o + c) * 2u + 1u] != 0.0) { continue; }
      if (best == p.e || route[(o + c) * 2u] > route[(o + best) * 2u]) { best = c; }
    }
    route[(o + best) * 2u + 1u] = 1.0;
  }`,
  },
  // a = G x, b = U x; one thread per (t, i)
  ab: {
    storage: ['read', 'read', 'read', 'write'], bindings: [['x', 'f32'], ['G', 'f32'], ['U', 'f32'], ['ab', 'f32']], fns: '', count: 'p.t * p.i',
    body: `let t = idx / p.i;
  let i = idx % p.i;
  var ga = 0.0;
  var ub = 0.0;
  for (var k = 0u; k < p.h; k++) { ga += G[i * p.h + k] * x[t * p.h + k]; ub += U[i * p.h + k] * x[t * p.h + k]; }
  ab[idx] = ga;
  ab[p.t * p.i + idx] = ub;`,
  },
  // dw[t, j] = dy · D h; one thread per token
  dw: {
    storage: ['read', 'read', 'read', 'write'], bindings: [['ab', 'f32'], ['D', 'f32'], ['dy', 'f32'], ['dw', 'f32']], fns: SIG + AB, count: 'p.t',
    body: `var acc = 0.0;
  for (var k = 0u; k < p.h; k++) {
    var o = 0.0;
    for (var i = 0u; i < p.i; i++) { let a = aAt(idx, i); o += D[k * p.i + i] * a * sig(a) * bAt(idx, i); }
    acc += dy[idx * p.h + k] * o;
  }
  dw[idx * p.e + p.j] = acc;`,
  },
  // dh[t, i] = w_j Σ_k D[k, i] dy[t, k]
  dh: {
    storage: ['read', 'read', 'read', 'write'], bindings: [['route', 'f32'], ['D', 'f32'], ['dy', 'f32'], ['dh', 'f32']], fns: ROUTE_FNS, count: 'p.t * p.i',
    body: `let t = idx / p.i;
  let i = idx % p.i;
  var acc = 0.0;
  for (var k = 0u; k < p.h; k++) { acc += D[k * p.i + i] * dy[t * p.h + k]; }
  dh[idx] = wOf(t, p.j) * acc;`,
  },
  // dD[k, i] = Σ_t w_j dy[t, k] h[t, i]
  dD: {
    storage: ['read', 'read', 'read', 'write'], bindings: [['route', 'f32'], ['dy', 'f32'], ['ab', 'f32'], ['dD', 'f32']], fns: ROUTE_FNS + SIG + AB, count: 'p.h * p.i',
    body: `let k = idx / p.i;
  let i = idx % p.i;
  var acc = 0.0;
  for (var t = 0u; t < p.t; t++) { let a = aAt(t, i); acc += wOf(t, p.j) * dy[t * p.h + k] * a * sig(a) * bAt(t, i); }
  dD[idx] = acc;`,
  },
  // dG[i, k] = Σ_t da[t, i] x[t, k], dU[i, k] = Σ_t db[t, i] x[t, k]
  dGU: {
    storage: ['read', 'read', 'read', 'write', 'write'], bindings: [['dh', 'f32'], ['ab', 'f32'], ['x', 'f32'], ['dG', 'f32'], ['dU', 'f32']], fns: SIG + AB, count: 'p.i * p.h',
    body: `let i = idx / p.h;
  let k = idx % p.h;
  var g = 0.0;
  var u = 0.0;
  for (var t = 0u; t < p.t; t++) {
    let a = aAt(t, i);
    let s = sig(a);
    let d = dh[t * p.i + i];
    g += d * bAt(t, i) * s * (1.0 + a * (1.0 - s)) * x[t * p.h + k];
    u += d * a * s * x[t * p.h + k];
  }
  dG[idx] = g;
  dU[idx] = u;`,
  },
  // dx[t, k] (+)= Σ_i da[t, i] G[i, k] + db[t, i] U[i, k]
  dx: {
    storage: ['read', 'read', 'read', 'read', 'write'], bindings: [['dh', 'f32'], ['ab', 'f32'], ['G', 'f32'], ['U', 'f32'], ['dx', 'f32']], fns: SIG + AB, count: 'p.t * p.h',
    body: `let t = idx / p.h;
  let k = idx % p.h;
  var acc = 0.0;
  for (var i = 0u; i < p.i; i++) {
    let a = aAt(t, i);
    let s = sig(a);
    let d = dh[t * p.i + i];
    acc += d * bAt(t, i) * s * (1.0 + a * (1.0 - s)) * G[i * p.h + k] + d * a * s * U[i * p.h + k];
  }
  if (p.acc == 1u) { dx[idx] += acc; } else { dx[idx] = acc; }`,
  },
  // drouter = p ⊙ (dp − Σ p·dp), dp_j = dw_j / S − Σ_k dw_k p_k / S² (chosen j); one thread per token
  router: {
    storage: ['read', 'read', 'write'], bindings: [['route', 'f32'], ['dw', 'f32'], ['drouter', 'f32']], fns: '', count: 'p.t',
    body: `let o = idx * p.e;
  var s = 0.0;
  var mix = 0.0;
  for (var c = 0u; c < p.e; c++) {
    if (route[(o + c) * 2u + 1u] != 0.0) { s += route[(o + c) * 2u]; mix += dw[o + c] * route[(o + c) * 2u]; }
  }
  var pdp = 0.0;
  for (var c = 0u; c < p.e; c++) {
    if (route[(o + c) * 2u + 1u] != 0.0) { pdp += route[(o + c) * 2u] * (dw[o + c] / s - mix / (s * s)); }
  }
  for (var c = 0u; c < p.e; c++) {
    var dp = 0.0;
    if (route[(o + c) * 2u + 1u] != 0.0) { dp = dw[o + c] / s - mix / (s * s); }
    drouter[o + c] = route[(o + c) * 2u] * (dp - pdp);
  }`,
  },
} satisfies Record<string, { storage: string[]; bindings: [string, string][]; fns: string; count: string; body: string }>;

type Part = keyof typeof KERNELS;

function partKernel(tun: Tunables, part: Part) {
  const wg = tun.elementwiseWorkgroupSize;
  const k = KERNELS[part];
  return memoSpec(`moe-mlp-grad-${part}|${wg}`, () => ({
    name: `moe-mlp-grad-${part}`,
    storage: k.storage as ('read' | 'write')[],
    code: `${paramsStruct(FIELDS)}${k.bindings.map(([n, t], i) => storage(i + 1, n, k.storage[i] as 'read' | 'write', t)).join('')}${k.fns}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let idx = wg * ${wg}u + li;
  if (idx >= ${k.count}) { return; }
  ${k.body}
}
`,
  }));
}

const PARTS = Object.keys(KERNELS) as Part[];

export const moeMlpGradOp: WebGpuTrainingOp<'MoeMlpGrad'> = {
  kernels: (_n, { tun }) => PARTS.map((p) => partKernel(tun, p)),
  lower(node, ctx, shapes) {
    const { numExperts: e, topK } = node.attrs;
    const ins = node.inputs.map((n) => ctx.dense(n));
    const [x, router] = ins;
    const dy = ins[ins.length - 1];
    const experts = ins.slice(2, -1);
    if (experts.length !== 3 * e || !(topK >= 1 && topK <= e)) {
      throw new BackendError(`MoeMlpGrad "${node.name}": ${e} experts need ${3 * e} weights and 1 <= topK <= ${e}, got ${experts.length} weights and topK ${topK}`);
    }
    const hidden = x.shape[2];
    const inter = experts[0].shape[0];
    const t = x.shape[0] * x.shape[1];
    const outs = shapes.map((s, i) => ctx.output(node, i, s));
    if (!t || !hidden) return;
    const route = ctx.slot('plan', t * e * 2 * 4, `${node.name} route`);
    const dw = ctx.slot('plan', t * e * 4, `${node.name} dw`);
    const ab = ctx.slot('plan', 2 * t * inter * 4, `${node.name} gate|up`);
    const dh = ctx.slot('plan', t * inter * 4, `${node.name} dh`);
    const run = (part: Part, slots: Slot[], count: number, j = 0, acc = 0) => {
      if (count > 0) ctx.step(partKernel(ctx.tun, part), slots, FIELDS, [t, hidden, inter, e, topK, j, acc], ctx.flat(count));
    };
    run('route', [router.slot, route], t);
    for (let j = 0; j < e; j++) {
      const [G, U, D] = experts.slice(3 * j, 3 * j + 3).map((v) => v.slot);
      const [dG, dU, dD] = outs.slice(2 + 3 * j, 5 + 3 * j).map((v) => v.slot);
      run('ab', [x.slot, G, U, ab], t * inter, j);
      run('dw', [ab, D, dy.slot, dw], t, j);
      run('dh', [route, D, dy.slot, dh], t * inter, j);
      run('dD', [route, dy.slot, ab, dD], hidden * inter, j);
      run('dGU', [dh, ab, x.slot, dG, dU], inter * hidden, j);
      run('dx', [dh, ab, G, U, outs[0].slot], t * hidden, j, j === 0 ? 0 : 1);
    }
    run('router', [route, dw, outs[1].slot], t);
  },
};
