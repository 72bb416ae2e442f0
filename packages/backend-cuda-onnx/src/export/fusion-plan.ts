import type { Dim, Graph, NodeOf } from '@xlora/core';
import type { ExportOptions } from './options.js';

/** Decisions taken over the whole graph before lowering node by node. */
export interface FusionPlan {
  /** Add node name -> the RmsNorm it feeds, emitted together as SkipSimplifiedLayerNormalization */
  skipNormOfAdd: Map<string, NodeOf<'RmsNorm'>>;
  /** RmsNorm nodes already emitted with their Add */
  fusedNorms: Set<string>;
}

/**
 * With contribOps.simplifiedLayerNorm, a residual Add of two equal-shape [B,S,H] values whose sum feeds an RmsNorm
 * becomes one SkipSimplifiedLayerNormalization (its 4th output is the sum, so other readers of the sum still work).
 */
export function planFusions(graph: Graph, shapes: ReadonlyMap<string, readonly Dim[]>, options: ExportOptions): FusionPlan {
  const plan: FusionPlan = { skipNormOfAdd: new Map(), fusedNorms: new Set() };
  if (!options.contribOps?.simplifiedLayerNorm) return plan;
  const adds = new Map<string, NodeOf<'Add'>>();
  for (const n of graph.nodes) if (n.op === 'Add') adds.set(n.outputs[0], n);
  for (const n of graph.nodes) {
    if (n.op !== 'RmsNorm') continue;
    const add = adds.get(n.inputs[0]);
    if (!add || plan.skipNormOfAdd.has(add.name)) continue;
    const [a, b] = add.inputs.map((v) => shapes.get(v));
    if (!a || !b || a.length !== 3 || b.length !== 3 || !a.every((d, i) => d === b[i])) continue;
    plan.skipNormOfAdd.set(add.name, n);
    plan.fusedNorms.add(n.name);
  }
  return plan;
}
