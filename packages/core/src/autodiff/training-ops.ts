import type { Graph } from '../graph/graph.js';
import type { AttentionAttrs, GraphNode, MoeMlpAttrs, RopeAttrs, SliceAttrs, SoftcapAttrs, SoftmaxAttrs, XLoraMixtureAttrs } from '../graph/ops.js';

/**
 * The training op catalog: the forward ops that only training graphs use (loss, dropout) and the vector-Jacobian
 * products that gradient graphs are built from. Kept apart from the inference catalog (`OpType`) so an inference-only
 * backend keeps its exhaustive op table; a backend that trains implements every op of both (backend-cpu does, in
 * `training-kernels.ts`). Shapes: B=batch, S=tokens, V=vocab; "like" inputs only give a shape.
 */

/** y = a · b (no transpose). inputs: a [...,N], b [N,K] -> [...,K] (dx of MatMul: dy · w) */
export interface MatMulNNAttrs {}
/** y = Σ over leading dims of aᵀ·b. inputs: a [...,N], b [...,K] (same leading dims) -> [N,K] (dw of MatMul: dyᵀ · x) */
export interface MatMulTNAttrs {}
/** Sums x down to like's shape (the inverse of Add/Mul's broadcast from the right). inputs: x [...], like -> like's shape */
export interface SumLikeAttrs {}
/** RmsNorm backward. inputs: x [...,H], w [H], dy [...,H] -> dx [...,H], dw [H] */
export interface RmsNormGradAttrs {
  eps: number;
}
/** Rope backward = rope with negated angles. inputs: dy [B,S,nH*hd], positionIds i32 [B,S] -> dx */
export type RopeGradAttrs = RopeAttrs;
/**
 * Attention backward w.r.t. the new tokens' q, k, v (the past caches are constants: no gradient flows into them).
 * inputs: q, k, v, pastK, pastV, mask (as Attention), dOut [B,S,nH*hd] -> dq, dk, dv (shapes of q, k, v)
 */
export type AttentionGradAttrs = AttentionAttrs;
/** SiluMul backward. inputs: gate, up, dy -> dgate, dup */
export interface SiluMulGradAttrs {}
/** GeluTanhMul backward. inputs: gate, up, dy -> dgate, dup */
export interface GeluTanhMulGradAttrs {}
/** Softcap backward: dx = dy·(1 − tanh²(x/cap)). inputs: x, dy -> dx */
export type SoftcapGradAttrs = SoftcapAttrs;
/**
 * MoeMlp backward (no gradient through the top-k selection; the renormalised weights are differentiated).
 * inputs: x, routerLogits, the experts' gate/up/down (as MoeMlp), dy [B,S,H]
 * outputs: dx, drouterLogits, then dgate, dup, ddown of each expert
 */
export type MoeMlpGradAttrs = MoeMlpAttrs;
/** Relu backward: dx = x > 0 ? dy : 0. inputs: x, dy -> dx */
export interface ReluGradAttrs {}
/** Softmax backward: dx = y ⊙ (dy − Σ y⊙dy) / T over the last axis. inputs: y (the softmax output), dy -> dx */
export type SoftmaxGradAttrs = SoftmaxAttrs;
/** Slice backward: zeros shaped like x with dy at the sliced range. inputs: dy, x -> dx */
export type SliceGradAttrs = SliceAttrs;
/** Gather backward w.r.t. the table: rows of dy added at their ids. inputs: dy [B,S,H], ids i32 [B,S], table [V,H] -> [V,H] */
export interface GatherGradAttrs {}
/**
 * XLoraMixture backward (dbase = dy is not an output). Top-k is a 0/1 mask: no gradient through the selection, so
 * unselected scalings get exactly 0; softmax-top-k is differentiated over the survivors.
 * inputs: x [B,S,in], a [R,in], b [out,R], scalings [B|1,S|1,Lc,C], dy [B,S,out]
 * outputs: dx [B,S,in], da [R,in], db [out,R], dscalings (the scalings' shape; broadcast dims summed)
 */
export interface XLoraMixtureGradAttrs extends XLoraMixtureAttrs {
  /** false when no gradient of a or b is wanted (frozen experts): a backend may skip them and leave da, db unread */
  adapterGrads?: boolean;
}
/**
 * transformers' causal-LM cross-entropy (ForCausalLMLoss without num_items_in_batch). With shift, position t-1
 * predicts labels[t]; labels equal to ignoreIndex are not counted; loss = mean over the counted positions (NaN when
 * none is counted, as torch). inputs: logits [B,S,V], labels i32 [B,S] -> loss [1]
 */
export interface CrossEntropyAttrs {
  ignoreIndex: number;
  shift: boolean;
}
/** CrossEntropy backward. inputs: logits, labels, dLoss [1] -> dlogits [B,S,V] */
export type CrossEntropyGradAttrs = CrossEntropyAttrs;
/**
 * Inverted dropout (train mode): y[i] = keep(seed, stream, i) ? x[i] / (1 − p) : 0, with the counter-based
 * generator of dropout-mask.ts (the same mask on every backend). Its backward is the same op on dy with the same
 * seed. inputs: x, seed i32 [1] -> y
 */
export interface DropoutAttrs {
  p: number;
  /** distinguishes the dropout nodes of one graph: each draws its own mask from the same seed */
  stream: number;
}

export interface TrainingOpAttrs {
  MatMulNN: MatMulNNAttrs;
  MatMulTN: MatMulTNAttrs;
  SumLike: SumLikeAttrs;
  RmsNormGrad: RmsNormGradAttrs;
  RopeGrad: RopeGradAttrs;
  AttentionGrad: AttentionGradAttrs;
  SiluMulGrad: SiluMulGradAttrs;
  GeluTanhMulGrad: GeluTanhMulGradAttrs;
  SoftcapGrad: SoftcapGradAttrs;
  MoeMlpGrad: MoeMlpGradAttrs;
  ReluGrad: ReluGradAttrs;
  SoftmaxGrad: SoftmaxGradAttrs;
  SliceGrad: SliceGradAttrs;
  GatherGrad: GatherGradAttrs;
  XLoraMixtureGrad: XLoraMixtureGradAttrs;
  CrossEntropy: CrossEntropyAttrs;
  CrossEntropyGrad: CrossEntropyGradAttrs;
  Dropout: DropoutAttrs;
}

export type TrainingOpType = keyof TrainingOpAttrs;
export const TRAINING_OP_TYPES: readonly TrainingOpType[] = [
  'MatMulNN', 'MatMulTN', 'SumLike', 'RmsNormGrad', 'RopeGrad', 'AttentionGrad', 'SiluMulGrad', 'GeluTanhMulGrad', 'SoftcapGrad', 'MoeMlpGrad', 'ReluGrad',
  'SoftmaxGrad', 'SliceGrad', 'GatherGrad', 'XLoraMixtureGrad', 'CrossEntropy', 'CrossEntropyGrad', 'Dropout',
];

export type TrainingNode = {
  [K in TrainingOpType]: { op: K; name: string; inputs: readonly string[]; outputs: readonly string[]; attrs: TrainingOpAttrs[K] };
}[TrainingOpType];

export type TrainingNodeOf<K extends TrainingOpType> = Extract<TrainingNode, { op: K }>;

/** A node of either catalog. */
export type AnyNode = GraphNode | TrainingNode;
export type AnyOpType = AnyNode['op'];

/** A graph that may hold training ops (a gradient graph, a loss graph). Backends that train compile it like a Graph. */
export interface TrainingGraph extends Omit<Graph, 'nodes'> {
  nodes: readonly AnyNode[];
}

const TRAINING_SET: ReadonlySet<string> = new Set(TRAINING_OP_TYPES);

export function isTrainingNode(node: AnyNode): node is TrainingNode {
  return TRAINING_SET.has(node.op);
}

/** Ops of a graph that an inference-only backend cannot run (empty for a plain Graph). */
export function trainingOpsOf(graph: TrainingGraph): TrainingOpType[] {
  return [...new Set(graph.nodes.filter(isTrainingNode).map((n) => n.op))];
}
