import { GraphEmitter, GraphBuilder, i32, weightsToInputs, type HostTensor, type TrainingGraph } from '@xlora/core';
import { opCases } from './op-cases.js';
import { randomF32, rng } from './random.js';

/** One gradient check: a graph, its (non-trainable) weights, feeds, and which feeds/outputs are differentiated. */
export interface GradCase {
  name: string;
  graph: TrainingGraph;
  weights: Map<string, HostTensor>;
  feeds: Record<string, HostTensor>;
  /** f32 inputs to differentiate w.r.t. */
  wrt: string[];
  /** outputs projected onto random vectors */
  of: string[];
}

/** Inputs that carry no gradient by definition (the attention caches are constants of a training step). */
const CONSTANT_INPUTS = /^past_/;
/** Outputs that are not differentiable (the present caches: cache appends are not part of training). */
const CONSTANT_OUTPUTS = /^present_/;

/** Every op case of the op suite, with its weights fed as inputs so that every f32 tensor is differentiated. */
function fromOpCases(): GradCase[] {
  return opCases().map((c) => {
    const graph = weightsToInputs(c.graph, c.weights.keys());
    const feeds: Record<string, HostTensor> = { ...c.feeds };
    for (const [name, t] of c.weights) feeds[name] = t;
    const wrt = graph.inputs.filter((v) => v.dtype === 'f32' && !CONSTANT_INPUTS.test(v.name)).map((v) => v.name);
    const of = graph.outputs.map((o) => o.name).filter((n) => !CONSTANT_OUTPUTS.test(n));
    return { name: c.name, graph, weights: new Map(), feeds, wrt, of };
  });
}

/** The forward ops only training graphs use: the causal-LM loss and dropout. */
function trainingOpCases(): GradCase[] {
  const rand = rng(101);
  const loss = (() => {
    const g = new GraphBuilder('CrossEntropy');
    g.input('logits', 'f32', [2, 5, 7]);
    g.input('labels', 'i32', [2, 5]);
    const e = new GraphEmitter(g.build());
    const out = e.emit1('CrossEntropy', ['logits', 'labels'], { ignoreIndex: -100, shift: true }, 'loss');
    e.output(out);
    return e.build();
  })();
  const dropout = (() => {
    const g = new GraphBuilder('Dropout');
    g.input('x', 'f32', [3, 40]);
    g.input('seed', 'i32', [1]);
    const e = new GraphEmitter(g.build());
    e.output(e.emit1('Dropout', ['x', 'seed'], { p: 0.3, stream: 2 }, 'y'));
    return e.build();
  })();
  return [
    {
      name: 'CrossEntropy, shifted, ignore index -100',
      graph: loss, weights: new Map(), wrt: ['logits'], of: ['loss'],
      feeds: { logits: randomF32(rand, [2, 5, 7], 2), labels: i32([2, 5], [-100, 3, 6, 0, -100, -100, -100, 2, 2, 5]) },
    },
    {
      name: 'Dropout p=0.3',
      graph: dropout, weights: new Map(), wrt: ['x'], of: ['y'],
      feeds: { x: randomF32(rand, [3, 40]), seed: i32([1], [12345]) },
    },
  ];
}

export function gradCases(): GradCase[] {
  return [...fromOpCases(), ...trainingOpCases()];
}
