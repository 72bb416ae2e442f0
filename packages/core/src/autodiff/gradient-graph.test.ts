import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { buildGradientGraph } from './gradient-graph.js';
import { dropoutKeeps, dropoutKey } from './dropout-mask.js';
import { weightsToInputs } from './promote-weights.js';

function twoUses() {
  const g = new GraphBuilder('t');
  const x = g.input('x', 'f32', ['batch', 4]);
  const w = g.weight('w', [4, 4]);
  const h = g.matmul(x, w, undefined, 'h');
  const y = g.mul(h, h, 'y'); // h used twice
  const z = g.relu(y, 'z');
  g.output('z', z);
  g.output('h', h);
  return g.build();
}

describe('buildGradientGraph', () => {
  it('sums the contributions of a value used twice and outputs one gradient per wrt', () => {
    const graph = weightsToInputs(twoUses(), ['w']);
    expect(graph.inputs.map((v) => v.name)).toEqual(['x', 'w']);
    expect(graph.weights).toEqual([]);
    const { graph: gg, grads, seeds } = buildGradientGraph(graph, { of: ['z'], wrt: ['w', 'x'] });
    expect(seeds.get('z')).toBe('grad_seed:z');
    const ops = gg.nodes.slice(graph.nodes.length).map((n) => n.op);
    // relu' then Mul's two VJPs (dy·b and dy·a), summed with one Add, then MatMul's dw and dx
    expect(ops).toEqual(['ReluGrad', 'Mul', 'Mul', 'Add', 'MatMulNN', 'MatMulTN']);
    expect(gg.outputs.map((o) => o.name)).toEqual(['z', 'h', grads.get('w'), grads.get('x')]);
    expect(gg.outputs.find((o) => o.name === grads.get('w'))!.shape).toEqual([4, 4]);
  });

  it('a stop-gradient value blocks every path through it (torch.no_grad)', () => {
    const graph = weightsToInputs(twoUses(), ['w']);
    expect(() => buildGradientGraph(graph, { of: ['z'], wrt: ['w'], stopGradient: ['h'] })).toThrow('no gradient reaches "w" from z');
    expect(() => buildGradientGraph(graph, { of: ['z'], wrt: ['nope'] })).toThrow('"nope" is not an input or weight');
  });

  it('refuses gradients that are not defined (token ids, present caches)', () => {
    const g = new GraphBuilder('ids');
    const table = g.input('table', 'f32', [10, 3]);
    const ids = g.input('ids', 'i32', [1, 2]);
    g.output('e', g.gather(table, ids, 'e'));
    expect(() => buildGradientGraph(g.build(), { of: ['e'], wrt: ['ids'] })).toThrow('token ids of Gather');
    const ops = buildGradientGraph(g.build(), { of: ['e'], wrt: ['table'] }).graph.nodes.map((n) => n.op);
    expect(ops).toEqual(['Gather', 'GatherGrad']);
  });
});

describe('dropout generator', () => {
  it('keeps a fraction 1 − p, deterministically per (seed, stream), with different masks for other seeds and streams', () => {
    const mask = (seed: number, stream: number) => Array.from({ length: 20000 }, (_, i) => dropoutKeeps(dropoutKey(seed, stream), i, 0.25));
    const a = mask(1, 0);
    expect(mask(1, 0)).toEqual(a);
    const rate = a.filter(Boolean).length / a.length;
    expect(Math.abs(rate - 0.75)).toBeLessThan(0.01); // 4.6 standard errors
    const agree = (m: boolean[]) => m.filter((k, i) => k === a[i]).length / a.length;
    // independent masks agree with probability 0.75² + 0.25² = 0.625
    expect(Math.abs(agree(mask(2, 0)) - 0.625)).toBeLessThan(0.015);
    expect(Math.abs(agree(mask(1, 1)) - 0.625)).toBeLessThan(0.015);
  });
});
