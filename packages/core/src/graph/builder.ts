import type { DType } from '../tensor.js';
import type { Shape } from './dim.js';
import type { Graph, ValueInfo } from './graph.js';
import type { GraphNode, OpAttrs, OpType } from './ops.js';
import { outputShapes } from './shape-rules.js';

/** A value in a graph under construction. */
export interface Value extends ValueInfo {}

/**
 * Builds a Graph op by op, inferring symbolic shapes as it goes. The model is written once against this API.
 */
export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly weights = new Map<string, ValueInfo>();
  private readonly nodes: GraphNode[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly usedNames = new Set<string>();
  private scope: string[] = [];

  constructor(private readonly graphName: string) {}

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = { name: this.claim(name), dtype, shape: [...shape] };
    this.inputs.push(v);
    return v;
  }

  /** Declares a weight; declaring the same name twice returns the same value (shared weights). */
  weight(name: string, shape: Shape, dtype: DType = 'f32'): Value {
    const known = this.weights.get(name);
    if (known) return known;
    const v = { name: this.claim(name), dtype, shape: [...shape] };
    this.weights.set(name, v);
    return v;
  }

  output(name: string, value: Value): void {
    this.outputs.push({ name: value.name, dtype: value.dtype, shape: value.shape });
    if (name !== value.name) throw new Error(`output "${name}" must be produced under that name (got ${value.name})`);
  }

  /** Runs `fn` with names prefixed by `prefix/` (for readable node names). */
  withScope<T>(prefix: string, fn: () => T): T {
    this.scope.push(prefix);
    try {
      return fn();
    } finally {
      this.scope.pop();
    }
  }

  gather(table: Value, ids: Value, name?: string): Value {
    return this.add1('Gather', [table, ids], {}, name);
  }
  matmul(x: Value, w: Value, bias?: Value, name?: string): Value {
    return this.add1('MatMul', bias ? [x, w, bias] : [x, w], {}, name);
  }
  addT(a: Value, b: Value, name?: string): Value {
    return this.add1('Add', [a, b], {}, name);
  }
  mul(a: Value, b: Value, name?: string): Value {
    return this.add1('Mul', [a, b], {}, name);
  }
  rmsNorm(x: Value, w: Value, attrs: OpAttrs['RmsNorm'], name?: string): Value {
    return this.add1('RmsNorm', [x, w], attrs, name);
  }
  rope(x: Value, positionIds: Value, attrs: OpAttrs['Rope'], name?: string): Value {
    return this.add1('Rope', [x, positionIds], attrs, name);
  }
  attention(
    q: Value, k: Value, v: Value, pastK: Value, pastV: Value, mask: Value, attrs: OpAttrs['Attention'],
    names: { out?: string; presentK?: string; presentV?: string } = {},
  ): [out: Value, presentK: Value, presentV: Value] {
    const outs = this.addNode('Attention', [q, k, v, pastK, pastV, mask], attrs, [names.out, names.presentK, names.presentV]);
    return [outs[0], outs[1], outs[2]];
  }
  siluMul(gate: Value, up: Value, name?: string): Value {
    return this.add1('SiluMul', [gate, up], {}, name);
  }
  geluTanhMul(gate: Value, up: Value, name?: string): Value {
    return this.add1('GeluTanhMul', [gate, up], {}, name);
  }
  softcap(x: Value, cap: number, name?: string): Value {
    return this.add1('Softcap', [x], { cap }, name);
  }
  /** experts: per expert its gate [I,H], up [I,H] and down [H,I] weights, in expert order */
  moeMlp(x: Value, routerLogits: Value, experts: readonly { gate: Value; up: Value; down: Value }[], attrs: OpAttrs['MoeMlp'], name?: string): Value {
    return this.add1('MoeMlp', [x, routerLogits, ...experts.flatMap((e) => [e.gate, e.up, e.down])], attrs, name);
  }
  relu(x: Value, name?: string): Value {
    return this.add1('Relu', [x], {}, name);
  }
  softmax(x: Value, temperature = 1, name?: string): Value {
    return this.add1('Softmax', [x], { temperature }, name);
  }
  reshape(x: Value, shape: readonly number[], name?: string): Value {
    return this.add1('Reshape', [x], { shape }, name);
  }
  slice(x: Value, attrs: OpAttrs['Slice'], name?: string): Value {
    return this.add1('Slice', [x], attrs, name);
  }
  xloraMixture(x: Value, base: Value, a: Value, b: Value, scalings: Value, attrs: OpAttrs['XLoraMixture'], name?: string): Value {
    return this.add1('XLoraMixture', [x, base, a, b, scalings], attrs, name);
  }

  build(): Graph {
    return {
      name: this.graphName,
      inputs: [...this.inputs],
      weights: [...this.weights.values()],
      nodes: [...this.nodes],
      outputs: [...this.outputs],
    };
  }

  private add1<K extends OpType>(op: K, ins: Value[], attrs: OpAttrs[K], name?: string): Value {
    return this.addNode(op, ins, attrs, [name])[0];
  }

  private addNode<K extends OpType>(op: K, ins: Value[], attrs: OpAttrs[K], outNames: (string | undefined)[]): Value[] {
    const nodeName = this.claim(this.scoped(op.toLowerCase()));
    const outputs: string[] = [];
    const node = { op, name: nodeName, inputs: ins.map((v) => v.name), outputs, attrs } as GraphNode;
    const shapes = outputShapes(node, ins.map((v) => v.shape));
    const dtype: DType = 'f32';
    const outs = shapes.map((shape, i) => ({
      name: outNames[i] ? this.claim(outNames[i]!) : this.claim(`${nodeName}:${i}`),
      dtype,
      shape,
    }));
    outputs.push(...outs.map((o) => o.name));
    this.nodes.push(node);
    return outs;
  }

  private scoped(base: string): string {
    return this.scope.length ? `${this.scope.join('/')}/${base}` : base;
  }

  private claim(name: string): string {
    let n = name;
    for (let i = 1; this.usedNames.has(n); i++) n = `${name}_${i}`;
    this.usedNames.add(n);
    return n;
  }
}
