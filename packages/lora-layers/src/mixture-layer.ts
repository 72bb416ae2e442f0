import { f32, type GraphBuilder, type HostTensor, type Value } from '@xlora/core';
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

/** Extra weights of an embedding module's mixture: Âᵀ [vocab, R] (rows gathered by token id) and I [R, R]. */
export function embeddingMixtureWeights(module: StackedModule): { aT: HostTensor<'f32'>; identity: HostTensor<'f32'> } {
  const [rank, vocab] = module.a.shape;
  const aT = f32([vocab, rank]);
  for (let r = 0; r < rank; r++) for (let v = 0; v < vocab; v++) aT.data[v * rank + r] = module.a.data[r * vocab + v];
  const identity = f32([rank, rank]);
  for (let r = 0; r < rank; r++) identity.data[r * rank + r] = 1;
  return { aT, identity };
}

export function embeddingWeightNames(modulePath: string): { aT: string; identity: string; b: string } {
  return { aT: `${modulePath}.xlora_A_hat_t`, identity: `${modulePath}.xlora_identity`, b: stackedWeightNames(modulePath).b };
}

/**
 * X-LoRA on an embedding (PEFT's XLoraEmbeddingLayer): y = base + g · B̂ (Âᵀ[ids] ⊙ repeat(s, r)). The rank-space
 * rows are gathered by token id, then the ordinary mixture runs with an identity in place of Â (exact: x·1 + 0).
 */
export function addXLoraEmbeddingMixture(
  g: GraphBuilder, ids: Value, base: Value, module: StackedModule, layer: number, scalings: Value, knobs: MixtureKnobs,
): Value {
  if (module.segments.length === 0) return base;
  const [rank, vocab] = module.a.shape;
  const names = embeddingWeightNames(module.modulePath);
  const rows = g.gather(g.weight(names.aT, [vocab, rank]), ids); // [B,S,R]
  const b = g.weight(names.b, module.b.shape);
  return g.xloraMixture(rows, base, g.weight(names.identity, [rank, rank]), b, scalings, {
    layer, numExperts: knobs.numExperts, segments: module.segments,
    topK: knobs.topK, softmaxTopK: knobs.softmaxTopK, globalWeight: knobs.globalWeight,
  });
}
