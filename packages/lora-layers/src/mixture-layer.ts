import type { GraphBuilder, Value } from '@xlora/core';
import type { StackedModule } from './stack-experts.js';

/** Runtime knobs of the mixture, shared by every wrapped module. */
export interface MixtureKnobs {
  topK: number | null;
  softmaxTopK: boolean;
  globalWeight: number;
  numExperts: number;
}

/** Weight names of a stacked module in a graph's WeightMap. */
export function stackedWeightNames(modulePath: string): { a: string; b: string } {
  return { a: `${modulePath}.xlora_A_hat`, b: `${modulePath}.xlora_B_hat` };
}

/** y = base + X-LoRA mixture of `module`'s experts on x, with scalings [B|1,S|1,Lc,C]. */
export function addXLoraMixture(
  g: GraphBuilder, x: Value, base: Value, module: StackedModule, layer: number, scalings: Value, knobs: MixtureKnobs,
  outputName?: string,
): Value {
  if (module.segments.length === 0) return base;
  const names = stackedWeightNames(module.modulePath);
  const a = g.weight(names.a, module.a.shape);
  const b = g.weight(names.b, module.b.shape);
  return g.xloraMixture(x, base, a, b, scalings, {
    layer, numExperts: knobs.numExperts, segments: module.segments,
    topK: knobs.topK, softmaxTopK: knobs.softmaxTopK, globalWeight: knobs.globalWeight,
  }, outputName);
}
