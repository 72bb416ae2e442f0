import { f32, type Value } from '@xlora/core';
import type { PassContext } from '../architecture.js';

/**
 * RMSNorm with weight `weightName` [H]: x̂ · w (Llama), or x̂ · (1 + w) with `plusOne` (Gemma, which stores w - 1;
 * the 1 + w is an f32 Add on the weight, as transformers computes it).
 */
export function rmsNorm(ctx: PassContext, weightName: string, x: Value, plusOne = false, name?: string): Value {
  const { g, config } = ctx;
  const h = x.shape[x.shape.length - 1] as number;
  let w = g.weight(weightName, [h]);
  if (plusOne) w = g.addT(w, ctx.constant(`const.ones.${h}`, f32([h], new Float32Array(h).fill(1))));
  return g.rmsNorm(x, w, { eps: config.rmsNormEps }, name);
}
