import type { DType } from '../tensor.js';
import type { Shape } from './dim.js';
import type { GraphNode } from './ops.js';

export interface ValueInfo {
  name: string;
  dtype: DType;
  /** symbolic shape, e.g. ['batch', 'seq', 64] */
  shape: Shape;
}

/** A graph: named inputs fed per run, named weights bound at compile time, topologically ordered nodes. */
export interface Graph {
  name: string;
  inputs: readonly ValueInfo[];
  weights: readonly ValueInfo[];
  nodes: readonly GraphNode[];
  /** graph outputs; each names a value produced by a node (or an input) */
  outputs: readonly ValueInfo[];
}
