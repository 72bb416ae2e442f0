import { InputError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { GraphEmitter } from './graph-emitter.js';
import type { AnyNode, TrainingGraph } from './training-ops.js';
import { VJP_RULES, type VjpRule } from './vjp-rules.js';

export interface GradientSpec {
  /**
   * values to differentiate; each gets a seed input `grad_seed:<name>` of its shape (the vector of the
   * vector-Jacobian product: feed f32 [1] = 1 for a scalar loss)
   */
  of: readonly string[];
  /** graph inputs (trainable parameters are fed per run as inputs) or weights to differentiate w.r.t. */
  wrt: readonly string[];
  /** values treated as constants, like torch.no_grad: no gradient flows into or through them */
  stopGradient?: readonly string[];
}

export interface GradientGraph {
  /** the forward graph plus the backward nodes; outputs: the forward's, then one gradient per `wrt` */
  graph: TrainingGraph;
  /** `of` value → name of its seed input */
  seeds: Map<string, string>;
  /** `wrt` name → name of the output holding its gradient (same shape) */
  grads: Map<string, string>;
}

export const GRAD_SEED_PREFIX = 'grad_seed:';

/**
 * Reverse-mode autodiff over the graph IR: appends to `graph` the nodes of every VJP from the `of` values back to
 * the `wrt` values (each op's VJP_RULES entry emits its gradient as ordinary nodes), summing the contributions of
 * values used more than once. The result is a graph like any other: built once, compiled once by a backend, run per
 * step with new parameter feeds.
 */
export function buildGradientGraph(graph: Graph | TrainingGraph, spec: GradientSpec): GradientGraph {
  const e = new GraphEmitter(graph, 'grad/');
  const stop = new Set(spec.stopGradient ?? []);
  const known = new Set([...graph.inputs, ...graph.weights].map((v) => v.name));
  for (const w of spec.wrt) {
    if (!known.has(w)) throw new InputError(`gradient of graph "${graph.name}": "${w}" is not an input or weight of the graph`);
    if (stop.has(w)) throw new InputError(`gradient of graph "${graph.name}": "${w}" is both differentiated and a stop-gradient value`);
  }

  // values that depend on a wrt value through differentiable paths
  const depends = new Set(spec.wrt);
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => depends.has(i))) for (const o of node.outputs) if (!stop.has(o)) depends.add(o);
  }

  const contributions = new Map<string, string[]>();
  const push = (value: string, g: string) => {
    const list = contributions.get(value);
    if (list) list.push(g);
    else contributions.set(value, [g]);
  };
  const total = (value: string): string | null => {
    const list = contributions.get(value);
    if (!list || list.length === 0) return null;
    let sum = list[0];
    for (let i = 1; i < list.length; i++) sum = e.emit1('Add', [sum, list[i]], {});
    contributions.set(value, [sum]);
    return sum;
  };

  const seeds = new Map<string, string>();
  for (const of of spec.of) {
    const v = e.value(of);
    if (v.dtype !== 'f32') throw new InputError(`gradient of graph "${graph.name}": "${of}" is ${v.dtype}, not a float value`);
    const seed = e.input(`${GRAD_SEED_PREFIX}${of}`, 'f32', v.shape);
    seeds.set(of, seed.name);
    push(of, seed.name);
  }

  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n];
    const needs = node.inputs.map((i) => depends.has(i));
    if (!needs.some(Boolean)) continue;
    const dOuts = node.outputs.map((o) => (stop.has(o) ? null : total(o)));
    if (dOuts.every((d) => d === null)) continue;
    const rule = VJP_RULES[node.op] as VjpRule<AnyNode['op']>;
    const dIns = rule(e, node as never, dOuts, needs);
    node.inputs.forEach((input, i) => {
      const g = dIns[i];
      if (needs[i] && g) push(input, g);
    });
  }

  const grads = new Map<string, string>();
  for (const w of spec.wrt) {
    const g = total(w);
    if (!g) throw new InputError(`gradient of graph "${graph.name}": no gradient reaches "${w}" from ${spec.of.join(', ')}`);
    e.output(g);
    grads.set(w, g);
  }
  return { graph: e.build(`${graph.name}-grad`), seeds, grads };
}
