import { numel, type NodeOf } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';
import { ROPE_FIELDS, ropeFrequencyTable, WGSL_SINCOS } from '../rope.js';

/**
 * Rope backward: the rotation's transpose (rope with negated angles), with the forward's cos/sin (rope.ts: the
 * host-built table when positions come from the host, else the exact device angles):
 *   dx[i] = dy[i]·cos + dy[i+hd/2]·sin,   dx[i+hd/2] = dy[i+hd/2]·cos − dy[i]·sin
 */
function ropeGradKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`rope-grad|${wg}`, () => ({
    name: 'rope-grad',
    storage: ['read', 'read', 'read', 'write'],
    code: `${paramsStruct(ROPE_FIELDS)}${storage(1, 'dy', 'read', 'f32')}${storage(2, 'pos', 'read', 'i32')}${storage(3, 'freq', 'read', 'f32')}${storage(4, 'dx', 'write', 'f32')}
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
  let a = dy[o];
  let b = dy[o + p.half];
  dx[o] = a * c + b * s;
  dx[o + p.half] = b * c - a * s;
}
`,
  }));
}

export const ropeGradOp: WebGpuTrainingOp<'RopeGrad'> = {
  constant: (node) => ({ data: ropeFrequencyTable(node.attrs.invFreq), what: `${node.name} invFreq` }),
  kernels: (_node, { tun }) => [ropeGradKernel(tun)],
  lower(node, ctx, [shape]) {
    const dy = ctx.dense(node.inputs[0]);
    const pos = ctx.dense(node.inputs[1]);
    const dx = ctx.output(node, 0, shape);
    const { numHeads, headDim, attentionFactor } = node.attrs;
    const n = numel(pos.shape) * numHeads * (headDim / 2);
    if (!n) return;
    const host = ctx.env.hostInts(node.inputs[1]);
    let lo = 0, hi = -1;
    if (host) for (const v of host) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const useTable = !!host && lo >= 0;
    // the rotary table depends on the attrs only (invFreq, factor), which RopeGrad shares with its Rope
    const table = useTable
      ? ctx.slot('ext', 0, 'rope cos/sin', ctx.env.ropeTable(node as unknown as NodeOf<'Rope'>, hi + 1))
      : ctx.slot('ext', 0, 'rope invFreq', ctx.env.nodeConst(node));
    ctx.step(ropeGradKernel(ctx.tun), [dy.slot, pos.slot, table, dx.slot], ROPE_FIELDS,
      [n, numHeads, headDim, headDim / 2, attentionFactor, useTable ? 1 : 0], ctx.flat(n));
  },
};
