import { MASKED_SCORE } from '../../flags.js';
import type { Lowering } from './lowering.js';
import { softcapOf } from './softcap.js';

/**
 * Causal GQA attention with a padding mask, appending the new keys/values to the cache. Standard ops only.
 *   q [B,S,nH*hd], k/v [B,S,nKv*hd], pastK/pastV [B,nKv,P,hd], mask i32 [B,T]  (T = P+S, g = nH/nKv)
 *
 *   presentK = Concat(pastK, Transpose(Reshape(k, [B,S,nKv,hd]), [0,2,1,3]), axis 2)        [B,nKv,T,hd]
 *   q5       = Transpose(Reshape(q, [B,S,nKv,g,hd]), [0,2,3,1,4])                             [B,nKv,g,S,hd]
 *   scores   = MatMul(q5, Unsqueeze(presentKᵀ, 2)) · scale                                    [B,nKv,g,S,T]
 * GQA needs no repeated K/V: query head h = kvh·g + i reads kv head kvh, so the g query heads of a kv head are a
 * broadcast dim of one batched MatMul (the same numbers as repeat_kv, without materialising it).
 *   scores   = c · tanh(scores / c)                                with a logit softcap c (Gemma 2)
 *   allowed  = (t <= P+s) ∧ mask[b,t] ≠ 0        causal triangle offset by P (Range/LessOrEqual) [B,1,1,S,T]
 *              ∧ (t > P+s−W)                     with a sliding window W (the W most recent columns)
 *   probs    = Where(allowed, Softmax(Where(allowed, scores, lowest)), 0)
 * The outer Where makes a query with no visible key attend to nothing: its output is 0, never NaN.
 *   out      = Reshape(Transpose(MatMul(probs, Unsqueeze(presentV, 2)), [0,3,1,2,4]), [B,S,nH*hd])
 */
export const lowerAttention: Lowering<'Attention'> = (b, node) => {
  const { numHeads, numKvHeads, headDim, scale } = node.attrs;
  const window = node.attrs.slidingWindow ?? null;
  const cap = node.attrs.logitSoftcap ?? null;
  const group = numHeads / numKvHeads;
  const name = node.name;
  const [q, k, v, pastK, pastV, mask] = node.inputs.map((n) => b.value(n));
  const [out, presentK, presentV] = node.outputs;
  const i64 = (...a: number[]) => b.constI64(a);
  const perm = (...p: number[]) => ({ perm: { kind: 'ints' as const, value: p } });
  const axis = (a: number) => ({ axis: { kind: 'int' as const, value: a } });

  // KV append: [B,S,nKv*hd] -> [B,nKv,S,hd], concatenated after the cache on the time axis
  const heads = (x: string) => b.op1('Transpose', [b.op1('Reshape', [x, i64(0, 0, numKvHeads, headDim)], { name })], { name, attrs: perm(0, 2, 1, 3) });
  b.op('Concat', [pastK, heads(k)], { name, outputs: [presentK], attrs: axis(2) });
  b.op('Concat', [pastV, heads(v)], { name, outputs: [presentV], attrs: axis(2) });

  // scores [B,nKv,g,S,T]
  const q5 = b.op1('Transpose', [b.op1('Reshape', [q, i64(0, 0, numKvHeads, group, headDim)], { name })], { name, attrs: perm(0, 2, 3, 1, 4) });
  const kT = b.op1('Unsqueeze', [b.op1('Transpose', [presentK], { name, attrs: perm(0, 1, 3, 2) }), i64(2)], { name }); // [B,nKv,1,hd,T]
  const scaled = b.op1('Mul', [b.op1('MatMul', [q5, kT], { name }), b.scalarF32(scale)], { name });
  const scores = cap === null ? scaled : softcapOf(b, name, scaled, cap);

  // allowed [B,1,1,S,T]: key t is visible to query s when t <= P + s and mask[b,t] != 0
  const total = b.op1('Shape', [presentK], { name, attrs: { start: { kind: 'int', value: 2 }, end: { kind: 'int', value: 3 } } }); // [1] = T
  const seq = b.op1('Shape', [q], { name, attrs: { start: { kind: 'int', value: 1 }, end: { kind: 'int', value: 2 } } }); // [1] = S
  const past = b.op1('Sub', [total, seq], { name }); // [1] = P
  const zero = b.scalarI64(0), one = b.scalarI64(1), scalarAxis = i64(0);
  const keyPos = b.op1('Range', [zero, b.op1('Squeeze', [total, scalarAxis], { name }), one], { name }); // [T]
  const queryIdx = b.op1('Range', [zero, b.op1('Squeeze', [seq, scalarAxis], { name }), one], { name }); // [S]
  const queryPos = b.op1('Unsqueeze', [b.op1('Add', [queryIdx, past], { name }), i64(1)], { name }); // [S,1]
  const notFuture = b.op1('LessOrEqual', [keyPos, queryPos], { name }); // [S,T]
  const causal = window === null ? notFuture
    : b.op1('And', [notFuture, b.op1('Greater', [keyPos, b.op1('Sub', [queryPos, b.scalarI64(window)], { name })], { name })], { name }); // [S,T]
  const padBool = b.op1('Cast', [mask], { name, attrs: { to: { kind: 'int', value: 9 } } }); // BOOL [B,T]
  const pad = b.op1('Unsqueeze', [padBool, i64(1, 2, 3)], { name }); // [B,1,1,1,T]
  const allowed = b.op1('And', [causal, pad], { name }); // [B,1,1,S,T]

  const masked = b.op1('Where', [allowed, scores, b.scalarF32(MASKED_SCORE)], { name });
  const soft = b.op1('Softmax', [masked], { name, attrs: axis(-1) });
  const probs = b.op1('Where', [allowed, soft, b.scalarF32(0)], { name });

  const v5 = b.op1('Unsqueeze', [presentV, i64(2)], { name }); // [B,nKv,1,T,hd]
  const ctx = b.op1('MatMul', [probs, v5], { name }); // [B,nKv,g,S,hd]
  const ctxT = b.op1('Transpose', [ctx], { name, attrs: perm(0, 3, 1, 2, 4) }); // [B,S,nKv,g,hd]
  b.op('Reshape', [ctxT, i64(0, 0, -1)], { name, outputs: [out] });
};
