import { InputError } from '../errors.js';
import type { WeightTensor } from '../formats/packed-tensor.js';
import { formatShape, sameShape } from '../tensor.js';
import type { Graph, ValueInfo } from './graph.js';

/** The tensor bound to weight `w` of `graph`, checked against the declared shape (backends call this in compile). */
export function requireWeight(graph: Graph, w: ValueInfo, weights: ReadonlyMap<string, WeightTensor>): WeightTensor {
  const t = weights.get(w.name);
  if (!t) throw new InputError(`graph "${graph.name}" needs weight "${w.name}", which was not provided`);
  const concrete = w.shape.every((d) => typeof d === 'number');
  if (concrete && !sameShape(t.shape, w.shape as number[])) {
    throw new InputError(`weight "${w.name}": expected shape ${formatShape(w.shape)}, got ${formatShape(t.shape)}`);
  }
  return t;
}

/** Checks that every weight of `graph` is bound with its declared shape. */
export function checkWeights(graph: Graph, weights: ReadonlyMap<string, WeightTensor>): void {
  for (const w of graph.weights) requireWeight(graph, w, weights);
}
