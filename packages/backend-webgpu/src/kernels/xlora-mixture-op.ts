import type { XLoraMixtureAttrs } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import type { KernelSpec } from '../pipelines.js';
import { copyKernel } from './copy.js';
import { MATMUL_FIELDS, matmulGrid } from './matmul.js';
import { mixtureDownKernel, mixtureUpKernel, rowExpertTable } from './xlora-mixture.js';

/** u32 params value meaning "no top-k" */
const NO_TOPK = 0xffffffff;

const totalRank = (attrs: XLoraMixtureAttrs) => attrs.segments.reduce((n, s) => n + s.rank, 0);

/** The fused X-LoRA mixture: rank-space GEMM with the scaling epilogue, then the up-projection added to `base`. */
export const xloraMixtureOp: WebGpuOp<'XLoraMixture'> = {
  weights: { 2: { split: false, narrowToF16: true, packed: true }, 3: { split: false, narrowToF16: true, packed: true } },
  constant: (node) => ({ data: rowExpertTable(totalRank(node.attrs), node.attrs.segments), what: `${node.name} row experts` }),
  kernels(node, { tun, dimOf, storageOf }) {
    const din = dimOf(node.inputs[2], 1);
    const rank = totalRank(node.attrs);
    const out: KernelSpec[] = [copyKernel(tun)];
    for (const m of [1, tun.gemvMaxRows + 1]) {
      if (din !== undefined) out.push(mixtureDownKernel(tun, m, din, node.attrs.topK !== null, node.attrs.softmaxTopK, storageOf(node.inputs[2])).spec);
      out.push(mixtureUpKernel(tun, m, rank, storageOf(node.inputs[3])).spec);
    }
    return out;
  },
  lower(node, ctx, [shape]) {
    const attrs = node.attrs;
    const x = ctx.dense(node.inputs[0]);
    const base = ctx.dense(node.inputs[1]);
    const a = ctx.val(node.inputs[2]);
    const b = ctx.val(node.inputs[3]);
    const sc = ctx.dense(node.inputs[4]);
    const y = ctx.output(node, 0, shape);
    const [batch, seq, din] = x.shape;
    const dout = base.shape[2];
    const rank = a.shape[0];
    const m = batch * seq;
    const n = m * dout;
    if (!n) return;
    if (!rank) {
      ctx.copy(base.slot, y.slot, 1, n, 0, 0, 0, 0);
      return;
    }
    const [sb, ss, sl, experts] = sc.shape;
    const layer = sl === 1 ? 0 : attrs.layer;
    const table = ctx.slot('ext', 0, 'mixture rows', ctx.env.nodeConst(node));
    const mid = ctx.slot('plan', m * rank * 4, `${node.name} (rank space)`);
    const down = mixtureDownKernel(ctx.tun, m, din, attrs.topK !== null, attrs.softmaxTopK, a.storage ?? 'f32');
    ctx.step(down.spec, [x.slot, a.slot, sc.slot, table, mid], MATMUL_FIELDS,
      [m, rank, din, 0, rank, seq, sb, ss, sl, layer, experts, attrs.topK ?? NO_TOPK, attrs.globalWeight],
      matmulGrid(ctx.tun, down.variant, m, rank, ctx.env.maxDim));
    const up = mixtureUpKernel(ctx.tun, m, rank, b.storage ?? 'f32');
    ctx.step(up.spec, [mid, b.slot, base.slot, y.slot], MATMUL_FIELDS,
      [m, dout, rank, 0, dout, 1, 1, 1, 1, 0, 0, 0, 0], matmulGrid(ctx.tun, up.variant, m, dout, ctx.env.maxDim));
  },
};
