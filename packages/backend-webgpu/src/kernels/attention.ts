import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * Causal GQA attention over a KV cache [B, nKv, cap, hd] that already holds the new keys/values (kv-append runs
 * first). One workgroup per (batch, query, head). Keys are processed in chunks of WG: every thread scores one key,
 * a workgroup max-reduction gives the chunk max, and an online softmax (running max, rescaled partial sums and
 * outputs, as in flash attention) accumulates p·V with the threads split over head dims × key groups. Query s
 * (absolute position past + s) sees keys t <= past + s with mask[b, t] != 0, and with a sliding window W (window > 0)
 * only t > past + s - W; with a logit softcap c (softcap > 0) each score becomes c·tanh(score / c). No visible key
 * gives zeros.
 */
export const ATTENTION_FIELDS: readonly Field[] = [
  ['rows', 'u32'], ['seq', 'u32'], ['past', 'u32'], ['total', 'u32'], ['cap', 'u32'],
  ['heads', 'u32'], ['kvHeads', 'u32'], ['group', 'u32'], ['scale', 'f32'], ['window', 'u32'], ['softcap', 'f32'],
];

export function attentionKernel(tun: Tunables, headDim: number) {
  const wg = tun.attentionWorkgroupSize;
  const hd = headDim;
  const lanes = Math.min(hd, wg); // threads per key group in the p·V phase
  const groups = Math.max(1, Math.floor(wg / lanes)); // key groups
  const dpt = Math.ceil(hd / lanes); // head dims per thread
  const vec = hd % 4 === 0;
  return memoSpec(`attention|${wg}|${hd}`, () => ({
    name: 'attention',
    storage: ['read', 'read', 'read', 'read', 'write'],
    code: `${paramsStruct(ATTENTION_FIELDS)}${storage(1, 'q', 'read', 'f32')}${storage(2, 'kc', 'read', vec ? 'vec4f' : 'f32')}${storage(3, 'vc', 'read', 'f32')}${storage(4, 'mask', 'read', 'i32')}${storage(5, 'o', 'write', 'f32')}
const WG = ${wg}u;
const HD = ${hd}u;
const LANES = ${lanes}u;
const GROUPS = ${groups}u;
const DPT = ${dpt}u;
const NEG = -3.0e38;
var<workgroup> qs: array<f32, HD>;
var<workgroup> red: array<f32, WG>;
var<workgroup> ps: array<f32, WG>;
var<workgroup> os: array<f32, ${groups * lanes * dpt}>;

@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  if (wg >= p.rows) { return; }
  let h = wg % p.heads;
  let bs = wg / p.heads;             // b * seq + s
  let s = bs % p.seq;
  let b = bs / p.seq;
  let kvh = h / p.group;
  let qo = (bs * p.heads + h) * HD;
  for (var d = li; d < HD; d += WG) { qs[d] = q[qo + d]; }
  let cache = (b * p.kvHeads + kvh) * p.cap;   // first row of this head's cache
  let visible = p.past + s + 1u;
  var first = 0u;                              // oldest column inside the sliding window
  if (p.window > 0u && visible > p.window) { first = visible - p.window; }
  let lane = li % LANES;
  let grp = li / LANES;
  var acc: array<f32, DPT>;
  var m = NEG;
  var lsum = 0.0;
  workgroupBarrier();
  for (var t0 = first; t0 < visible; t0 += WG) {
    let t = t0 + li;
    var sc = NEG;
    var ok = false;
    if (t < visible) {
      if (mask[b * p.total + t] != 0) {
        var qk = 0.0;
${vec
    ? `        let kr = (cache + t) * (HD / 4u);
        for (var d = 0u; d < HD / 4u; d++) {
          qk += dot(vec4f(qs[4u * d], qs[4u * d + 1u], qs[4u * d + 2u], qs[4u * d + 3u]), kc[kr + d]);
        }`
    : `        let kr = (cache + t) * HD;
        for (var d = 0u; d < HD; d++) { qk += qs[d] * kc[kr + d]; }`}
        sc = qk * p.scale;
        if (p.softcap > 0.0) { sc = p.softcap * tanh(clamp(sc / p.softcap, -15.0, 15.0)); }
        ok = true;
      }
    }
    red[li] = sc;
    workgroupBarrier();
    for (var st = WG / 2u; st > 0u; st >>= 1u) {
      if (li < st) { red[li] = max(red[li], red[li + st]); }
      workgroupBarrier();
    }
    let mNew = max(m, red[0]);
    let alpha = exp(m - mNew);
    let pr = select(0.0, exp(sc - mNew), ok);
    ps[li] = pr;
    lsum = lsum * alpha + pr;
    workgroupBarrier();
    if (grp < GROUPS) {
      for (var k = 0u; k < DPT; k++) {
        let d = lane + k * LANES;
        var a = acc[k] * alpha;
        if (d < HD) {
          for (var i = grp; i < WG; i += GROUPS) {
            if (t0 + i < visible) { a += ps[i] * vc[(cache + t0 + i) * HD + d]; }
          }
        }
        acc[k] = a;
      }
    }
    m = mNew;
    workgroupBarrier();
  }
  // total softmax denominator
  red[li] = lsum;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st >>= 1u) {
    if (li < st) { red[li] += red[li + st]; }
    workgroupBarrier();
  }
  let l = red[0];
  if (grp < GROUPS) {
    for (var k = 0u; k < DPT; k++) { os[(grp * DPT + k) * LANES + lane] = acc[k]; }
  }
  workgroupBarrier();
  for (var d = li; d < HD; d += WG) {
    let k = d / LANES;
    let ln = d % LANES;
    var sum = 0.0;
    for (var g = 0u; g < GROUPS; g++) { sum += os[(g * DPT + k) * LANES + ln]; }
    o[qo + d] = select(0.0, sum / l, l > 0.0);
  }
}
`,
  }));
}
