import type { ParameterMap } from './parameters.js';

/**
 * torch.nn.utils.clip_grad_norm_(params, maxNorm) with the 2-norm: total = ‖(‖g_i‖)_i‖₂, every gradient scaled in place
 * by min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping.
 */
export function clipGradNorm(grads: ParameterMap, maxNorm: number): number {
  let sq = 0;
  for (const g of grads.values()) for (const x of g.data) sq += x * x;
  const total = Math.sqrt(sq);
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef < 1) for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= coef;
  return total;
}
