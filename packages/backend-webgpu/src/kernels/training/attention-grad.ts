import { BackendError, numel } from '@xlora/core';
import { copyKernel } from '../copy.js';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { Slot } from '../../plan.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * Attention backward w.r.t. the new tokens' q, k, v (the past caches are constants), as backend-cpu's
 * attention-grad.ts: probabilities recomputed from f32 scores (masked, causal, sliding window, softcap c·tanh(s/c)
 * whose slope 1 − tanh² multiplies ds):
 *   dv_t += p_t·dOut,  dp_t = dOut·v_t,  ds_t = p_t(dp_t − Σ p·dp)·slope·scale,  dq += Σ ds_t k_t,  dk_t += ds_t q
 * To stay within 5 storage bindings the inputs are first copied into two packed buffers: kv = [pastK, pastV, k, v]
 * and qd = [q, dOut]. Then
 *   queries: one thread per (b, s, head): row stats (max, Σexp, Σ p·dp) and dq
 *   keys:    one thread per (b, new token j, kv head): dk, dv of key position past + j (into dkv = [dk, dv])
 */
const FIELDS: readonly Field[] = [
  ['batch', 'u32'], ['seq', 'u32'], ['past', 'u32'], ['heads', 'u32'], ['kvHeads', 'u32'], ['hd', 'u32'],
  ['scale', 'f32'], ['window', 'u32'], ['cap', 'f32'],
];

const COMMON = `
fn total() -> u32 { return p.past + p.seq; }
fn pastN() -> u32 { return p.batch * p.kvHeads * p.past * p.hd; }
fn newN() -> u32 { return p.batch * p.seq * p.kvHeads * p.hd; }
fn qN() -> u32 { return p.batch * p.seq * p.heads * p.hd; }
// offset in kv of the key (isV = 0) or value (1) row of position t, batch b, kv head h
fn kvRow(b: u32, h: u32, t: u32, isV: u32) -> u32 {
  if (t < p.past) { return isV * pastN() + ((b * p.kvHeads + h) * p.past + t) * p.hd; }
  return 2u * pastN() + isV * newN() + ((b * p.seq + (t - p.past)) * p.kvHeads + h) * p.hd;
}
fn visible(b: u32, s: u32, t: u32) -> bool {
  let vis = p.past + s + 1u;
  if (t >= vis) { return false; }
  if (p.window > 0u && t + p.window < vis) { return false; }
  return mask[b * total() + t] != 0;
}
// (capped score, d capped / d raw) of query row qo against key position t
fn score(qo: u32, b: u32, h: u32, t: u32) -> vec2f {
  let ko = kvRow(b, h, t, 0u);
  var dot = 0.0;
  for (var i = 0u; i < p.hd; i++) { dot += qd[qo + i] * kv[ko + i]; }
  let sc = dot * p.scale;
  if (p.cap > 0.0) {
    let th = tanh(clamp(sc / p.cap, -15.0, 15.0));
    return vec2f(p.cap * th, 1.0 - th * th);
  }
  return vec2f(sc, 1.0);
}
fn dpOf(qo: u32, b: u32, h: u32, t: u32) -> f32 {
  let vo = kvRow(b, h, t, 1u);
  var dot = 0.0;
  for (var i = 0u; i < p.hd; i++) { dot += qd[qN() + qo + i] * kv[vo + i]; }
  return dot;
}
`;

function queriesKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`attention-grad-queries|${wg}`, () => ({
    name: 'attention-grad-queries',
    storage: ['read', 'read', 'read', 'write', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'qd', 'read', 'f32')}${storage(2, 'kv', 'read', 'f32')}${storage(3, 'mask', 'read', 'i32')}${storage(4, 'stats', 'write', 'f32')}${storage(5, 'dq', 'write', 'f32')}${COMMON}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let qi = wg * ${wg}u + li;
  if (qi >= p.batch * p.seq * p.heads) { return; }
  let h = qi % p.heads;
  let s = (qi / p.heads) % p.seq;
  let b = qi / (p.heads * p.seq);
  let kvh = h / (p.heads / p.kvHeads);
  let qo = qi * p.hd;
  for (var i = 0u; i < p.hd; i++) { dq[qo + i] = 0.0; }
  let vis = p.past + s + 1u;
  var mx = -3.0e38;
  var any = false;
  for (var t = 0u; t < vis; t++) {
    if (!visible(b, s, t)) { continue; }
    mx = max(mx, score(qo, b, kvh, t).x);
    any = true;
  }
  if (!any) {
    stats[qi * 3u] = 0.0; stats[qi * 3u + 1u] = 0.0; stats[qi * 3u + 2u] = 0.0;
    return;
  }
  var sum = 0.0;
  for (var t = 0u; t < vis; t++) { if (visible(b, s, t)) { sum += exp(score(qo, b, kvh, t).x - mx); } }
  var pdp = 0.0;
  for (var t = 0u; t < vis; t++) {
    if (visible(b, s, t)) { pdp += exp(score(qo, b, kvh, t).x - mx) / sum * dpOf(qo, b, kvh, t); }
  }
  stats[qi * 3u] = mx; stats[qi * 3u + 1u] = sum; stats[qi * 3u + 2u] = pdp;
  for (var t = 0u; t < vis; t++) {
    if (!visible(b, s, t)) { continue; }
    let sc = score(qo, b, kvh, t);
    let pr = exp(sc.x - mx) / sum;
    let ds = pr * (dpOf(qo, b, kvh, t) - pdp) * sc.y * p.scale;
    let ko = kvRow(b, kvh, t, 0u);
    for (var i = 0u; i < p.hd; i++) { dq[qo + i] += ds * kv[ko + i]; }
  }
}
`,
  }));
}

function keysKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`attention-grad-keys|${wg}`, () => ({
    name: 'attention-grad-keys',
    storage: ['read', 'read', 'read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'qd', 'read', 'f32')}${storage(2, 'kv', 'read', 'f32')}${storage(3, 'mask', 'read', 'i32')}${storage(4, 'stats', 'read', 'f32')}${storage(5, 'dkv', 'write', 'f32')}${COMMON}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let ki = wg * ${wg}u + li;
  if (ki >= p.batch * p.seq * p.kvHeads) { return; }
  let kvh = ki % p.kvHeads;
  let j = (ki / p.kvHeads) % p.seq;
  let b = ki / (p.kvHeads * p.seq);
  let t = p.past + j;
  let group = p.heads / p.kvHeads;
  let dko = ki * p.hd;
  let dvo = newN() + ki * p.hd;
  for (var i = 0u; i < p.hd; i++) { dkv[dko + i] = 0.0; dkv[dvo + i] = 0.0; }
  for (var s = j; s < p.seq; s++) {
    if (!visible(b, s, t)) { continue; }
    for (var h = kvh * group; h < (kvh + 1u) * group; h++) {
      let qi = (b * p.seq + s) * p.heads + h;
      let sum = stats[qi * 3u + 1u];
      if (sum == 0.0) { continue; }
      let qo = qi * p.hd;
      let sc = score(qo, b, kvh, t);
      let pr = exp(sc.x - stats[qi * 3u]) / sum;
      let ds = pr * (dpOf(qo, b, kvh, t) - stats[qi * 3u + 2u]) * sc.y * p.scale;
      for (var i = 0u; i < p.hd; i++) {
        dkv[dvo + i] += pr * qd[qN() + qo + i];
        dkv[dko + i] += ds * qd[qo + i];
      }
    }
  }
}
`,
  }));
}

export const attentionGradOp: WebGpuTrainingOp<'AttentionGrad'> = {
  kernels: (_n, { tun }) => [queriesKernel(tun), keysKernel(tun), copyKernel(tun)],
  lower(node, ctx, shapes) {
    const [q, k, v, pastK, pastV, mask, dOut] = node.inputs.map((n) => ctx.dense(n));
    const { numHeads, numKvHeads, headDim, scale } = node.attrs;
    const window = node.attrs.slidingWindow ?? null;
    const cap = node.attrs.logitSoftcap ?? null;
    if (window !== null && !(Number.isInteger(window) && window >= 1)) throw new BackendError(`AttentionGrad "${node.name}": slidingWindow must be an integer >= 1, got ${window}`);
    if (cap !== null && !(cap > 0)) throw new BackendError(`AttentionGrad "${node.name}": logitSoftcap must be > 0, got ${cap}`);
    if (!(numKvHeads >= 1 && numHeads % numKvHeads === 0)) throw new BackendError(`AttentionGrad "${node.name}": numHeads ${numHeads} must be a multiple of numKvHeads ${numKvHeads}`);
    const [batch, seq] = q.shape;
    const past = pastK.shape[2];
    const outs = shapes.map((s, i) => ctx.output(node, i, s));
    const qn = numel(q.shape), kn = numel(k.shape), pn = numel(pastK.shape);
    if (!qn) return;
    // packed inputs (see the header): kv = [pastK, pastV, k, v], qd = [q, dOut]
    const kvBuf = ctx.slot('plan', (2 * pn + 2 * kn) * 4, `${node.name} kv`);
    const qdBuf = ctx.slot('plan', 2 * qn * 4, `${node.name} q|dOut`);
    const put = (src: Slot, dst: Slot, n: number, off: number) => ctx.copy(src, dst, 1, n, n, 0, n, off);
    put(pastK.slot, kvBuf, pn, 0);
    put(pastV.slot, kvBuf, pn, pn);
    put(k.slot, kvBuf, kn, 2 * pn);
    put(v.slot, kvBuf, kn, 2 * pn + kn);
    put(q.slot, qdBuf, qn, 0);
    put(dOut.slot, qdBuf, qn, qn);
    const stats = ctx.slot('plan', batch * seq * numHeads * 3 * 4, `${node.name} row stats`);
    const dkv = ctx.slot('plan', 2 * kn * 4, `${node.name} dk|dv`);
    const params = [batch, seq, past, numHeads, numKvHeads, headDim, scale, window ?? 0, cap ?? 0];
    ctx.step(queriesKernel(ctx.tun), [qdBuf, kvBuf, mask.slot, stats, outs[0].slot], FIELDS, params, ctx.flat(batch * seq * numHeads));
    if (!kn) return;
    ctx.step(keysKernel(ctx.tun), [qdBuf, kvBuf, mask.slot, stats, dkv], FIELDS, params, ctx.flat(batch * seq * numKvHeads));
    ctx.copy(dkv, outs[1].slot, 1, kn, kn, 0, kn, 0);
    ctx.copy(dkv, outs[2].slot, 1, kn, kn, kn, kn, 0);
  },
};
