import { InputError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { TrainingGraph } from './training-ops.js';

/**
 * Turns the named weights of a graph into inputs: trainable parameters are then fed per run (a new value each
 * optimizer step, no re-compile; a backend may keep them resident as device tensors), the rest stay bound at compile.
 */
export function weightsToInputs<G extends Graph | TrainingGraph>(graph: G, names: Iterable<string>): G {
  const move = new Set(names);
  for (const name of move) {
    if (!graph.weights.some((w) => w.name === name)) throw new InputError(`graph "${graph.name}" has no weight "${name}" to feed as an input`);
  }
  return {
    ...graph,
    inputs: [...graph.inputs, ...graph.weights.filter((w) => move.has(w.name))],
    weights: graph.weights.filter((w) => !move.has(w.name)),
  };
}
