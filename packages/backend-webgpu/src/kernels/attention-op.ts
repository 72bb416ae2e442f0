import { BackendError, type AttentionAttrs } from '@xlora/core';
import type { Lowering } from '../lower.js';
import type { WebGpuOp } from '../op-entry.js';
import type { Val } from '../plan.js';
import { ATTENTION_FIELDS, attentionKernel } from './attention.js';
import { copyKernel } from './copy.js';
import { KV_APPEND_FIELDS, KV_COPY_FIELDS, kvAppendKernel, kvCopyKernel } from './kv-cache.js';

/** KV capacity for `total` tokens: room to grow, within one storage binding. */
function capacityFor(ctx: Lowering, total: number, bytesPerToken: number): number {
  const { kvCacheAlign: align, kvCacheMinHeadroom, kvCacheGrowth } = ctx.tun;
  let cap = Math.max(total + kvCacheMinHeadroom, Math.ceil(total * kvCacheGrowth));
  cap = Math.ceil(cap / align) * align;
  const maxTokens = bytesPerToken ? Math.floor(ctx.env.maxBinding / bytesPerToken) : cap;
  if (cap > maxTokens) cap = Math.max(total, maxTokens);
  return cap;
}

/**
 * Causal GQA attention with KV caches, an optional sliding window and logit softcap (the cache keeps every column;
 * the window only limits which the kernel reads). The new keys/values are appended to the past caches in place when
 * the past is a device tensor with room whose filled length is the past length (and not already appended to this
 * run); otherwise the past is copied into fresh caches with spare capacity (when the caller keeps them).
 */
export const attentionOp: WebGpuOp<'Attention'> = {
  kernels: (node, { tun }) => [attentionKernel(tun, node.attrs.headDim), kvAppendKernel(tun), kvCopyKernel(tun), copyKernel(tun)],
  lower(node, ctx, shapes) {
    const attrs: AttentionAttrs = node.attrs;
    const q = ctx.dense(node.inputs[0]);
    const k = ctx.dense(node.inputs[1]);
    const v = ctx.dense(node.inputs[2]);
    const pk = ctx.val(node.inputs[3]);
    const pv = ctx.val(node.inputs[4]);
    const mask = ctx.dense(node.inputs[5]);
    const { numHeads: heads, numKvHeads: kvHeads, headDim: hd } = attrs;
    const [batch, seq] = q.shape;
    const { slidingWindow: window, logitSoftcap: softcap } = attrs;
    if (window != null && !(Number.isInteger(window) && window >= 1)) throw new BackendError(`Attention "${node.name}": slidingWindow must be an integer >= 1, got ${window}`);
    if (softcap != null && !(softcap > 0)) throw new BackendError(`Attention "${node.name}": logitSoftcap must be > 0, got ${softcap}`);
    const past = pk.shape[2];
    const total = past + seq;
    const out = ctx.output(node, 0, shapes[0]);
    const presentShape = [batch, kvHeads, total, hd];
    const capK = pk.cap ?? past, capV = pv.cap ?? past;
    const ak = pk.slot.alloc, av = pv.slot.alloc;
    const inPlace = pk.slot.kind === 'ext' && pv.slot.kind === 'ext' && !!ak && !!av && ak !== av
      && !ak.pinned && !av.pinned && ak.filled === past && av.filled === past
      && capK >= total && capV >= total && capK === capV && !ctx.claimed.has(ak) && !ctx.claimed.has(av)
      && batch * kvHeads > 0;
    let presK: Val, presV: Val, cap: number;
    if (inPlace) {
      cap = capK;
      ctx.claimed.add(ak!);
      ctx.claimed.add(av!);
      presK = { slot: pk.slot, shape: presentShape, dtype: 'f32', cap };
      presV = { slot: pv.slot, shape: presentShape, dtype: 'f32', cap };
      pk.slot.fillTo = total;
      pv.slot.fillTo = total;
    } else {
      const keep = ctx.env.wanted.has(node.outputs[1]) || ctx.env.wanted.has(node.outputs[2]);
      cap = keep ? capacityFor(ctx, total, batch * kvHeads * hd * 4) : total;
      const bytes = batch * kvHeads * cap * hd * 4;
      presK = { slot: ctx.slot('fresh', bytes, node.outputs[1]), shape: presentShape, dtype: 'f32', cap };
      presV = { slot: ctx.slot('fresh', bytes, node.outputs[2]), shape: presentShape, dtype: 'f32', cap };
      presK.slot.fillTo = total;
      presV.slot.fillTo = total;
      const n = batch * kvHeads * past * hd;
      if (n) ctx.step(kvCopyKernel(ctx.tun), [pk.slot, pv.slot, presK.slot, presV.slot], KV_COPY_FIELDS, [n, past, hd, capK, cap], ctx.flat(n));
    }
    ctx.values.set(node.outputs[1], presK);
    ctx.values.set(node.outputs[2], presV);
    const na = batch * seq * kvHeads * hd;
    if (na) ctx.step(kvAppendKernel(ctx.tun), [k.slot, v.slot, presK.slot, presV.slot], KV_APPEND_FIELDS, [na, seq, kvHeads, hd, past, cap], ctx.flat(na));
    const rows = batch * seq * heads;
    if (rows) {
      ctx.step(attentionKernel(ctx.tun, hd), [q.slot, presK.slot, presV.slot, mask.slot, out.slot], ATTENTION_FIELDS,
        [rows, seq, past, total, cap, heads, kvHeads, heads / kvHeads, attrs.scale, window ?? 0, softcap ?? 0],
        ctx.rows(rows));
    }
  },
};
