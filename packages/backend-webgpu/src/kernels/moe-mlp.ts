import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Mixtral's sparse MoE MLP in three kernels (see MoeMlpAttrs in @xlora/core):
 *  - router: one thread per token; softmax over the E router logits, the topK largest (ties: lower index first),
 *    renormalised; writes route [tokens, E] with the chosen experts' weights and 0 elsewhere.
 *  - gate-up (once per expert j): one workgroup per (token, intermediate row i); tokens not routed to j leave at once
 *    (no weight read); else h[t, i] = silu(x_t · gate_j[i]) · (x_t · up_j[i]), the dots split over the workgroup.
 *  - down (once per expert j, ascending): one workgroup per (token, hidden row); y[t, r] += w_tj · (h_t · down_j[r]),
 *    expert 0's dispatch initialising y (0 where not routed).
 * So a token reads only its topK experts' weights; the cost of the other experts is their empty workgroups.
 */
export const MOE_ROUTER_FIELDS: readonly Field[] = [['tokens', 'u32'], ['experts', 'u32']];
export const MOE_EXPERT_FIELDS: readonly Field[] = [['tokens', 'u32'], ['hidden', 'u32'], ['inter', 'u32'], ['experts', 'u32'], ['expert', 'u32']];

export function moeRouterKernel(tun: Tunables, topK: number) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`moe-router|${wg}|${topK}`, () => ({
    name: 'moe-router',
    storage: ['read', 'write'],
    code: `${paramsStruct(MOE_ROUTER_FIELDS)}${storage(1, 'logits', 'read', 'f32')}${storage(2, 'route', 'write', 'f32')}
const K = ${topK}u;
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let t = wg * ${wg}u + li;
  if (t >= p.tokens) { return; }
  let base = t * p.experts;
  var m = -3.0e38;
  for (var j = 0u; j < p.experts; j++) { m = max(m, logits[base + j]); }
  var sum = 0.0;
  for (var j = 0u; j < p.experts; j++) { sum += exp(logits[base + j] - m); }
  // top-K of the probabilities: K scans, each taking the largest not yet taken (strict >: lower index wins ties)
  var ids: array<u32, K>;
  var probs: array<f32, K>;
  var chosenSum = 0.0;
  for (var k = 0u; k < K; k++) {
    var best = 0u;
    var bp = -1.0;
    for (var j = 0u; j < p.experts; j++) {
      var taken = false;
      for (var q = 0u; q < k; q++) { taken = taken || ids[q] == j; }
      let pj = exp(logits[base + j] - m) / sum;
      if (!taken && pj > bp) { best = j; bp = pj; }
    }
    ids[k] = best;
    probs[k] = bp;
    chosenSum += bp;
  }
  for (var j = 0u; j < p.experts; j++) { route[base + j] = 0.0; }
  for (var k = 0u; k < K; k++) { route[base + ids[k]] = probs[k] / chosenSum; }
}
`,
  }));
}

/** The shared head of the expert kernels: this workgroup's token and row, and the token's weight for this expert. */
function expertHead(rowsName: 'inter' | 'hidden', wg: number): string {
  return `var<workgroup> red: array<f32, ${wg}>;
var<workgroup> wsh: f32;
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  if (wg >= p.tokens * p.${rowsName}) { return; }
  let t = wg / p.${rowsName};
  let r = wg % p.${rowsName};
  if (li == 0u) { wsh = route[t * p.experts + p.expert]; }
  let w = workgroupUniformLoad(&wsh);
`;
}

/** workgroup sum of red[] (power-of-two size) */
function reduce(wg: number): string {
  return `  for (var st = ${wg / 2}u; st > 0u; st >>= 1u) {
    if (li < st) { red[li] += red[li + st]; }
    workgroupBarrier();
  }
`;
}

export function moeGateUpKernel(tun: Tunables) {
  const wg = tun.reduceWorkgroupSize;
  return memoSpec(`moe-gate-up|${wg}`, () => ({
    name: 'moe-gate-up',
    storage: ['read', 'read', 'read', 'read', 'write'],
    code: `${paramsStruct(MOE_EXPERT_FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'route', 'read', 'f32')}${storage(3, 'gw', 'read', 'f32')}${storage(4, 'uw', 'read', 'f32')}${storage(5, 'h', 'write', 'f32')}
${expertHead('inter', wg)}  if (w == 0.0) { return; }
  let xo = t * p.hidden;
  let wo = r * p.hidden;
  var g = 0.0;
  var u = 0.0;
  for (var k = li; k < p.hidden; k += ${wg}u) {
    let xv = x[xo + k];
    g += xv * gw[wo + k];
    u += xv * uw[wo + k];
  }
  red[li] = g;
  workgroupBarrier();
${reduce(wg)}  let gs = red[0];
  workgroupBarrier();
  red[li] = u;
  workgroupBarrier();
${reduce(wg)}  if (li == 0u) { h[t * p.inter + r] = gs / (1.0 + exp(-gs)) * red[0]; }
}
`,
  }));
}

export function moeDownKernel(tun: Tunables) {
  const wg = tun.reduceWorkgroupSize;
  return memoSpec(`moe-down|${wg}`, () => ({
    name: 'moe-down',
    storage: ['read', 'read', 'read', 'write'],
    code: `${paramsStruct(MOE_EXPERT_FIELDS)}${storage(1, 'h', 'read', 'f32')}${storage(2, 'route', 'read', 'f32')}${storage(3, 'dw', 'read', 'f32')}${storage(4, 'y', 'write', 'f32')}
${expertHead('hidden', wg)}  let yi = t * p.hidden + r;
  if (w == 0.0) {
    if (p.expert == 0u && li == 0u) { y[yi] = 0.0; }
    return;
  }
  let ho = t * p.inter;
  let wo = r * p.inter;
  var d = 0.0;
  for (var k = li; k < p.inter; k += ${wg}u) { d += h[ho + k] * dw[wo + k]; }
  red[li] = d;
  workgroupBarrier();
${reduce(wg)}  if (li == 0u) { y[yi] = select(y[yi], 0.0, p.expert == 0u) + w * red[0]; }
}
`,
  }));
}
