import { BackendError, numel } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';
import { MOE_EXPERT_FIELDS, MOE_ROUTER_FIELDS, moeDownKernel, moeGateUpKernel, moeRouterKernel } from './moe-mlp.js';

/**
 * Mixtral sparse MoE MLP: the router kernel writes each token's renormalised top-k weights (0 for the others), then
 * per expert (ascending) a gate-up and a down dispatch over all tokens whose workgroups leave at once for tokens
 * not routed to that expert. Decode reads topK of the E experts' weights; it costs 1 + 2E dispatches per layer.
 */
export const moeMlpOp: WebGpuOp<'MoeMlp'> = {
  kernels: (node, { tun }) => [moeRouterKernel(tun, node.attrs.topK), moeGateUpKernel(tun), moeDownKernel(tun)],
  lower(node, ctx, [shape]) {
    const { numExperts: e, topK } = node.attrs;
    const what = `MoeMlp "${node.name}"`;
    if (!(Number.isInteger(e) && e >= 1 && node.inputs.length === 2 + 3 * e)) {
      throw new BackendError(`${what}: expected x, routerLogits and 3 weights per expert for ${e} experts, got ${node.inputs.length} inputs`);
    }
    if (!(Number.isInteger(topK) && topK >= 1 && topK <= e)) throw new BackendError(`${what}: topK must be an integer in 1..${e}, got ${topK}`);
    const x = ctx.dense(node.inputs[0]);   // [B, S, H]
    const logits = ctx.dense(node.inputs[1]); // [B, S, E]
    const experts = node.inputs.slice(2).map((name) => ctx.dense(name));
    const hidden = x.shape[x.shape.length - 1];
    const inter = experts[0].shape[0];
    const tokens = hidden ? numel(x.shape) / hidden : 0;
    if (logits.shape[logits.shape.length - 1] !== e) throw new BackendError(`${what}: router logits have ${logits.shape.at(-1)} experts, expected ${e}`);
    for (let j = 0; j < e; j++) {
      const [g, u, d] = experts.slice(3 * j, 3 * j + 3).map((v) => v.shape.join(','));
      if (g !== `${inter},${hidden}` || u !== g || d !== `${hidden},${inter}`) {
        throw new BackendError(`${what}: expert ${j} weights must be gate/up [${inter},${hidden}] and down [${hidden},${inter}], got [${g}], [${u}], [${d}]`);
      }
    }
    const y = ctx.output(node, 0, shape); // [B, S, H]
    if (!tokens || !hidden) return;
    const route = ctx.slot('plan', tokens * e * 4, `${node.name} (route)`); // [tokens, E]
    ctx.step(moeRouterKernel(ctx.tun, topK), [logits.slot, route], MOE_ROUTER_FIELDS, [tokens, e], ctx.flat(tokens));
    const h = ctx.slot('plan', tokens * inter * 4, `${node.name} (expert hidden)`); // [tokens, I], reused by each expert
    for (let j = 0; j < e; j++) {
      const [gate, up, down] = experts.slice(3 * j, 3 * j + 3);
      const params = [tokens, hidden, inter, e, j];
      if (inter) ctx.step(moeGateUpKernel(ctx.tun), [x.slot, route, gate.slot, up.slot, h], MOE_EXPERT_FIELDS, params, ctx.rows(tokens * inter));
      ctx.step(moeDownKernel(ctx.tun), [h, route, down.slot, y.slot], MOE_EXPERT_FIELDS, params, ctx.rows(tokens * hidden));
    }
  },
};
