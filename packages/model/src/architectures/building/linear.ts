import type { Value } from '@xlora/core';
import { addXLoraMixture } from '@xlora/lora-layers';
import type { PassContext } from '../architecture.js';

/**
 * A Linear module `path` on x [...,in] → [...,out] (weight `${path}.weight` [out,in], optional bias), through the
 * X-LoRA mixture when the pass's LoRA wraps it.
 */
export function linear(ctx: PassContext, path: string, x: Value, outFeatures: number, withBias = false, name?: string): Value {
  const { g, lora } = ctx;
  const w = g.weight(`${path}.weight`, [outFeatures, x.shape[x.shape.length - 1]]);
  const bias = withBias ? g.weight(`${path}.bias`, [outFeatures]) : undefined;
  const wrapped = lora?.modules.get(path);
  if (!wrapped) return g.matmul(x, w, bias, name);
  const y = g.matmul(x, w, bias);
  return addXLoraMixture(ctx.g, x, y, wrapped.stacked, wrapped.layer, lora!.scalings, lora!.knobs, name);
}
