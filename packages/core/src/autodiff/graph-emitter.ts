import type { Shape } from '../graph/dim.js';
import type { ValueInfo } from '../graph/graph.js';
import type { OpAttrs, OpType } from '../graph/ops.js';
import type { DType } from '../tensor.js';
import { anyOutputShapes } from './training-shape-rules.js';
import type { AnyNode, TrainingGraph, TrainingOpAttrs, TrainingOpType } from './training-ops.js';

type AllAttrs = OpAttrs & TrainingOpAttrs;

/**
 * Extends an existing graph with nodes of either catalog, keeping every name unique and inferring shapes (the
 * gradient builder and the training graphs use it; GraphBuilder builds inference graphs from scratch).
 */
export class GraphEmitter {
  private readonly inputs: ValueInfo[];
  private readonly weights: ValueInfo[];
  private readonly nodes: AnyNode[];
  private readonly outputs: ValueInfo[];
  private readonly values = new Map<string, ValueInfo>();
  private readonly used = new Set<string>();

  constructor(private readonly graph: TrainingGraph, private readonly prefix = '') {
    this.inputs = [...graph.inputs];
    this.weights = [...graph.weights];
    this.nodes = [...graph.nodes];
    this.outputs = [...graph.outputs];
    for (const v of [...graph.inputs, ...graph.weights]) this.values.set(v.name, v);
    for (const node of graph.nodes) {
      this.used.add(node.name);
      const shapes = anyOutputShapes(node, node.inputs.map((n) => this.value(n).shape));
      node.outputs.forEach((name, i) => this.values.set(name, { name, dtype: 'f32', shape: shapes[i] }));
    }
    for (const name of this.values.keys()) this.used.add(name);
  }

  value(name: string): ValueInfo {
    const v = this.values.get(name);
    if (!v) throw new Error(`graph "${this.graph.name}" has no value "${name}"`);
    return v;
  }

  /** The node that produces each value (inputs and weights have none). */
  producers(): Map<string, AnyNode> {
    const map = new Map<string, AnyNode>();
    for (const node of this.nodes) for (const o of node.outputs) map.set(o, node);
    return map;
  }

  forwardNodes(): readonly AnyNode[] {
    return this.graph.nodes;
  }

  input(name: string, dtype: DType, shape: Shape): ValueInfo {
    const v = { name: this.claim(name), dtype, shape: [...shape] };
    this.inputs.push(v);
    this.values.set(v.name, v);
    return v;
  }

  weight(name: string, shape: Shape): ValueInfo {
    const v = { name: this.claim(name), dtype: 'f32' as DType, shape: [...shape] };
    this.weights.push(v);
    this.values.set(v.name, v);
    return v;
  }

  output(name: string): void {
    if (!this.outputs.some((o) => o.name === name)) this.outputs.push(this.value(name));
  }

  /** Adds one node; returns the names of its outputs. */
  emit<K extends OpType | TrainingOpType>(op: K, inputs: readonly string[], attrs: AllAttrs[K], outNames?: readonly (string | undefined)[]): string[] {
    const name = this.claim(`${this.prefix}${op.charAt(0).toLowerCase()}${op.slice(1)}`);
    const node = { op, name, inputs: [...inputs], outputs: [] as string[], attrs } as unknown as AnyNode;
    const shapes = anyOutputShapes(node, inputs.map((n) => this.value(n).shape));
    const outs = shapes.map((shape, i) => {
      const v = { name: this.claim(outNames?.[i] ?? `${name}:${i}`), dtype: 'f32' as DType, shape };
      this.values.set(v.name, v);
      return v.name;
    });
    (node.outputs as string[]).push(...outs);
    this.nodes.push(node);
    return outs;
  }

  emit1<K extends OpType | TrainingOpType>(op: K, inputs: readonly string[], attrs: AllAttrs[K], outName?: string): string {
    return this.emit(op, inputs, attrs, [outName])[0];
  }

  build(name = this.graph.name): TrainingGraph {
    return { name, inputs: [...this.inputs], weights: [...this.weights], nodes: [...this.nodes], outputs: [...this.outputs] };
  }

  private claim(name: string): string {
    let n = name;
    for (let i = 1; this.used.has(n); i++) n = `${name}_${i}`;
    this.used.add(n);
    return n;
  }
}
