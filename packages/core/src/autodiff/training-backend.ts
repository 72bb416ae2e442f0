import type { Backend, Executable, WeightMap } from '../backend.js';
import type { Graph } from '../graph/graph.js';
import type { TrainingGraph } from './training-ops.js';

/**
 * A backend that compiles training graphs (gradient graphs, losses) as well as inference graphs: it implements every
 * op of TRAINING_OP_TYPES too. backend-cpu does; the others are inference-only for now.
 */
export interface TrainingBackend extends Omit<Backend, 'compile'> {
  compile(graph: Graph | TrainingGraph, weights: WeightMap): Promise<Executable>;
}
