import { InputError } from '../errors.js';
import type { Shape } from '../graph/dim.js';
import type { NodeOf, OpType } from '../graph/ops.js';
import type { GraphEmitter } from './graph-emitter.js';
import type { TrainingNodeOf, TrainingOpType } from './training-ops.js';

type AnyNodeOf<K extends OpType | TrainingOpType> = K extends OpType ? NodeOf<K> : K extends TrainingOpType ? TrainingNodeOf<K> : never;

/**
 * A vector-Jacobian product written as graph nodes: given the gradients of a node's outputs (null where none
 * flows) and which inputs need one, emits the nodes that compute the inputs' gradients and returns their names
 * (null for inputs that need none or are not differentiable).
 */
export type VjpRule<K extends OpType | TrainingOpType> = (
  e: GraphEmitter, node: AnyNodeOf<K>, dOuts: readonly (string | null)[], needs: readonly boolean[],
) => (string | null)[];

function notDifferentiable(what: string): never {
  throw new InputError(`no gradient is defined for ${what}`);
}

function sameShapeText(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** dy summed down to the shape of `target` (the inverse of a broadcast from the right). */
function sumTo(e: GraphEmitter, dy: string, target: string): string {
  return sameShapeText(e.value(dy).shape, e.value(target).shape) ? dy : e.emit1('SumLike', [dy, target], {});
}

/** Reshape's inverse: numbers stay, a symbolic dim is copied from dy's same index (0) where it sits there too. */
function inverseReshape(e: GraphEmitter, node: NodeOf<'Reshape'>, dy: string): string {
  const x = e.value(node.inputs[0]).shape;
  const dyShape = e.value(dy).shape;
  const shape = x.map((d, i) => {
    if (typeof d === 'number') return d;
    if (dyShape[i] === d) return 0;
    throw new InputError(`Reshape node "${node.name}": cannot invert the reshape of symbolic shape [${x.join(', ')}] for its gradient`);
  });
  return e.emit1('Reshape', [dy], { shape });
}

const grad = (needs: readonly boolean[], i: number, make: () => string): string | null => (needs[i] ? make() : null);

/** One VJP per op of both catalogs (the type makes a missing rule a compile error). */
export const VJP_RULES: { [K in OpType | TrainingOpType]: VjpRule<K> } = {
  Gather: (e, node, [dy], needs) => {
    if (needs[1]) notDifferentiable(`the token ids of Gather node "${node.name}"`);
    return [grad(needs, 0, () => e.emit1('GatherGrad', [dy!, node.inputs[1], node.inputs[0]], {})), null];
  },
  MatMul: (e, node, [dy], needs) => {
    const [x, w, bias] = node.inputs;
    return [
      grad(needs, 0, () => e.emit1('MatMulNN', [dy!, w], {})),
      grad(needs, 1, () => e.emit1('MatMulTN', [dy!, x], {})),
      bias === undefined ? null : grad(needs, 2, () => sumTo(e, dy!, bias)),
    ];
  },
  Add: (e, node, [dy], needs) => [grad(needs, 0, () => dy!), grad(needs, 1, () => sumTo(e, dy!, node.inputs[1]))],
  Mul: (e, node, [dy], needs) => {
    const [a, b] = node.inputs;
    return [
      grad(needs, 0, () => e.emit1('Mul', [dy!, b], {})),
      grad(needs, 1, () => sumTo(e, e.emit1('Mul', [dy!, a], {}), b)),
    ];
  },
  RmsNorm: (e, node, [dy], needs) => {
    const [dx, dw] = e.emit('RmsNormGrad', [node.inputs[0], node.inputs[1], dy!], { eps: node.attrs.eps });
    return [needs[0] ? dx : null, needs[1] ? dw : null];
  },
  Rope: (e, node, [dy], needs) => {
    if (needs[1]) notDifferentiable(`the position ids of Rope node "${node.name}"`);
    return [grad(needs, 0, () => e.emit1('RopeGrad', [dy!, node.inputs[1]], node.attrs)), null];
  },
  Attention: (e, node, [dOut, dPresentK, dPresentV], needs) => {
    if (dPresentK || dPresentV) notDifferentiable(`the present key/value caches of Attention node "${node.name}" (only its output is differentiable)`);
    if (needs[3] || needs[4] || needs[5]) notDifferentiable(`the past caches or the mask of Attention node "${node.name}"`);
    const [dq, dk, dv] = e.emit('AttentionGrad', [...node.inputs, dOut!], node.attrs);
    return [needs[0] ? dq : null, needs[1] ? dk : null, needs[2] ? dv : null, null, null, null];
  },
  SiluMul: (e, node, [dy], needs) => {
    const [dg, du] = e.emit('SiluMulGrad', [node.inputs[0], node.inputs[1], dy!], {});
    return [needs[0] ? dg : null, needs[1] ? du : null];
  },
  GeluTanhMul: (e, node, [dy], needs) => {
    const [dg, du] = e.emit('GeluTanhMulGrad', [node.inputs[0], node.inputs[1], dy!], {});
    return [needs[0] ? dg : null, needs[1] ? du : null];
  },
  Softcap: (e, node, [dy], needs) => [grad(needs, 0, () => e.emit1('SoftcapGrad', [node.inputs[0], dy!], node.attrs))],
  MoeMlp: (e, node, [dy], needs) => {
    const outs = e.emit('MoeMlpGrad', [...node.inputs, dy!], node.attrs);
    return outs.map((g, i) => (needs[i] ? g : null));
  },
  Relu: (e, node, [dy], needs) => [grad(needs, 0, () => e.emit1('ReluGrad', [node.inputs[0], dy!], {}))],
  Softmax: (e, node, [dy], needs) => [grad(needs, 0, () => e.emit1('SoftmaxGrad', [node.outputs[0], dy!], node.attrs))],
  Reshape: (e, node, [dy], needs) => [grad(needs, 0, () => inverseReshape(e, node, dy!))],
  Slice: (e, node, [dy], needs) => [grad(needs, 0, () => e.emit1('SliceGrad', [dy!, node.inputs[0]], node.attrs))],
  XLoraMixture: (e, node, [dy], needs) => {
    const [x, , a, b, sc] = node.inputs;
    const outs = needs[0] || needs[2] || needs[3] || needs[4] ? e.emit('XLoraMixtureGrad', [x, a, b, sc, dy!], { ...node.attrs, adapterGrads: needs[2] || needs[3] }) : [];
    return [needs[0] ? outs[0] : null, needs[1] ? dy! : null, needs[2] ? outs[1] : null, needs[3] ? outs[2] : null, needs[4] ? outs[3] : null];
  },
  CrossEntropy: (e, node, [dLoss], needs) => {
    if (needs[1]) notDifferentiable(`the labels of CrossEntropy node "${node.name}"`);
    return [grad(needs, 0, () => e.emit1('CrossEntropyGrad', [node.inputs[0], node.inputs[1], dLoss!], node.attrs)), null];
  },
  Dropout: (e, node, [dy], needs) => {
    if (needs[1]) notDifferentiable(`the seed of Dropout node "${node.name}"`);
    return [grad(needs, 0, () => e.emit1('Dropout', [dy!, node.inputs[1]], node.attrs)), null];
  },
  MatMulNN: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  MatMulTN: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  SumLike: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  RmsNormGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  RopeGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  AttentionGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  SiluMulGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  GeluTanhMulGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  SoftcapGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  MoeMlpGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  ReluGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  SoftmaxGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  SliceGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  GatherGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  XLoraMixtureGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
  CrossEntropyGrad: (_e, node) => notDifferentiable(`${node.op} (gradient graphs are not differentiated again)`),
};
