import type { Dim } from './dim.js';

/**
 * The op catalog. Every backend implements every op; shapes use B=batch, S=new tokens, P=past length, T=P+S.
 * Weights follow PyTorch's Linear layout: [out, in].
 */

/** Gather rows of an embedding table. inputs: table [V,H], ids i32 [B,S] -> [B,S,H] */
export interface GatherAttrs {}
/** y = x · wᵀ (+ bias). inputs: x [...,K], w [N,K], bias? [N] -> [...,N] */
export interface MatMulAttrs {}
/** Elementwise; b has the same shape as a, or a shape that is a suffix of a's (broadcast from the right). */
export interface BinaryAttrs {}
/** y = x / sqrt(mean(x², -1) + eps) · w. inputs: x [...,H], w [H] */
export interface RmsNormAttrs {
  eps: number;
}
/**
 * Rotary embedding, HF "rotate_half" layout. inputs: x [B,S,nHeads*headDim], positionIds i32 [B,S].
 * angle(pos, i) = f32(pos · invFreq[i]) for i < headDim/2; cos/sin are multiplied by attentionFactor.
 */
export interface RopeAttrs {
  numHeads: number;
  headDim: number;
  invFreq: readonly number[];
  attentionFactor: number;
}
/**
 * Causal attention with grouped KV heads and a padding mask, appending the new keys/values to the cache.
 * inputs: q [B,S,nH*hd], k [B,S,nKv*hd], v [B,S,nKv*hd], pastK [B,nKv,P,hd], pastV [B,nKv,P,hd], mask i32 [B,T]
 * outputs: out [B,S,nH*hd], presentK [B,nKv,T,hd], presentV [B,nKv,T,hd]
 * Query s (cache column P+s) sees keys t <= P+s with mask[t] = 1, and with a sliding window W only those with
 * t > P+s-W (the W most recent columns, itself included). A query with no visible key outputs zeros.
 * score(t) = q·k_t · scale, then with a softcap c: c · tanh(score / c) (Gemma 2), then softmax over visible t.
 */
export interface AttentionAttrs {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  scale: number;
  /** W: keys more than W-1 columns before the query are not visible; null/absent = no window */
  slidingWindow?: number | null;
  /** c: scores become c·tanh(score/c) before the softmax; null/absent = none */
  logitSoftcap?: number | null;
}
/** y = silu(gate) · up. inputs: gate [...,N], up [...,N] */
export interface SiluMulAttrs {}
export interface ReluAttrs {}
/** y = gelu_tanh(gate) · up, gelu_tanh(g) = 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))) (GeGLU). inputs: gate [...,N], up [...,N] */
export interface GeluTanhMulAttrs {}
/** y = cap · tanh(x / cap), elementwise (Gemma 2 final-logit softcapping). */
export interface SoftcapAttrs {
  cap: number;
}
/**
 * A sparse mixture-of-experts MLP (Mixtral's block_sparse_moe) for each token:
 *   p = softmax(routerLogits)  (over E experts);  chosen = the topK largest p (ties: lower index first)
 *   w_j = p_j / Σ_chosen p   (renormalised over the chosen experts)
 *   y = Σ_{j in chosen, ascending expert index} w_j · down_j(silu(gate_j x) ⊙ up_j x)
 * inputs: x [B,S,H], routerLogits [B,S,E], then per expert e = 0..E-1: gate_e [I,H], up_e [I,H], down_e [H,I]
 * output: y [B,S,H]. Only the chosen experts need computing (decode touches topK of E experts' weights).
 */
export interface MoeMlpAttrs {
  numExperts: number;
  topK: number;
}
/** softmax(x / temperature) over the last axis. */
export interface SoftmaxAttrs {
  temperature: number;
}
/** Reshape; 0 copies the input dim at the same index. */
export interface ReshapeAttrs {
  shape: readonly number[];
}
/** x[..., start:end, ...] along `axis`; negative indices count from the end (end = null means to the end). */
export interface SliceAttrs {
  axis: number;
  start: number;
  end: number | null;
}
/** One expert's rows in the stacked rank space of a module. */
export interface MixtureSegment {
  /** class index of the expert (position in the adapters dict) */
  expert: number;
  /** first row of this expert in Â / first column in B̂ */
  offset: number;
  rank: number;
}
/**
 * The X-LoRA mixture on one LoRA-wrapped linear module:
 *   s   = scalings[b, s, min(layer, Lc-1), :]            (Lc = 1 for non-layerwise scalings; B and S may broadcast from 1)
 *   s   = topK ? keep the k largest of s (ties: lower index first), others 0 : s
 *   s   = softmaxTopK ? softmax over the non-zero entries of s (zeros stay 0) : s
 *   y   = base + globalWeight · B̂ ((Â x) ⊙ repeat(s[segment.expert], segment.rank))
 * inputs: x [B,S,in], base [B,S,out], a [R,in], b [out,R] (expert scales folded into b), scalings [B|1,S|1,Lc,C]
 * output: y [B,S,out]
 */
export interface XLoraMixtureAttrs {
  layer: number;
  numExperts: number;
  segments: readonly MixtureSegment[];
  topK: number | null;
  softmaxTopK: boolean;
  globalWeight: number;
}

export interface OpAttrs {
  Gather: GatherAttrs;
  MatMul: MatMulAttrs;
  Add: BinaryAttrs;
  Mul: BinaryAttrs;
  RmsNorm: RmsNormAttrs;
  Rope: RopeAttrs;
  Attention: AttentionAttrs;
  SiluMul: SiluMulAttrs;
  Relu: ReluAttrs;
  Softmax: SoftmaxAttrs;
  Reshape: ReshapeAttrs;
  Slice: SliceAttrs;
  XLoraMixture: XLoraMixtureAttrs;
  GeluTanhMul: GeluTanhMulAttrs;
  Softcap: SoftcapAttrs;
  MoeMlp: MoeMlpAttrs;
}

export type OpType = keyof OpAttrs;
export const OP_TYPES: readonly OpType[] = [
  'Gather', 'MatMul', 'Add', 'Mul', 'RmsNorm', 'Rope', 'Attention', 'SiluMul', 'Relu', 'Softmax', 'Reshape', 'Slice',
  'XLoraMixture', 'GeluTanhMul', 'Softcap', 'MoeMlp',
];

export type GraphNode = {
  [K in OpType]: { op: K; name: string; inputs: readonly string[]; outputs: readonly string[]; attrs: OpAttrs[K] };
}[OpType];

export type NodeOf<K extends OpType> = Extract<GraphNode, { op: K }>;

export type { Dim };
