import { BackendError, InputError, type CrossEntropyAttrs } from '@xlora/core';
import { BUILTINS, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { Lowering } from '../../lower.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * transformers' causal-LM cross-entropy (see CrossEntropyAttrs). Shared by CrossEntropy and CrossEntropyGrad:
 * position (b, t) with t >= shift scores logits row b·S + t − shift against labels[b, t] unless it is the ignore
 * index. `counted(b, t)` and `rowLse(row)` (log Σ exp, max-shifted) are the WGSL helpers both kernels use.
 */
export const CE_FIELDS: readonly Field[] = [['batch', 'u32'], ['seq', 'u32'], ['vocab', 'u32'], ['shift', 'u32'], ['ignore', 'i32']];

export const CE_HELPERS = `
fn labelAt(b: u32, t: u32) -> i32 { return labels[b * p.seq + t]; }
fn counted(b: u32, t: u32) -> bool { return t >= p.shift && labelAt(b, t) != p.ignore; }
fn rowLse(row: u32) -> f32 {
  let o = row * p.vocab;
  var m = -3.0e38;
  for (var i = 0u; i < p.vocab; i++) { m = max(m, logits[o + i]); }
  var s = 0.0;
  for (var i = 0u; i < p.vocab; i++) { s += exp(logits[o + i] - m); }
  return log(s) + m;
}
fn countAll() -> u32 {
  var c = 0u;
  for (var b = 0u; b < p.batch; b++) { for (var t = 0u; t < p.seq; t++) { if (counted(b, t)) { c++; } } }
  return c;
}
`;

/** Checks the inputs' shapes (and, when the labels come from the host, their range) and returns the params. */
export function crossEntropyParams(name: string, op: string, attrs: CrossEntropyAttrs, ctx: Lowering, logitsName: string, labelsName: string): number[] {
  const logits = ctx.val(logitsName).shape;
  const labels = ctx.val(labelsName);
  const [batch, seq, vocab] = logits;
  if (logits.length !== 3 || labels.dtype !== 'i32' || labels.shape.length !== 2 || labels.shape[0] !== batch || labels.shape[1] !== seq) {
    throw new BackendError(`${op} "${name}": logits [B,S,V] and i32 labels [B,S] expected, got [${logits.join(', ')}] and ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  const host = ctx.env.hostInts(labelsName);
  if (host) {
    const shift = attrs.shift ? 1 : 0;
    for (let i = 0; i < host.length; i++) {
      const label = host[i];
      if (i % seq < shift || label === attrs.ignoreIndex) continue;
      if (!(label >= 0 && label < vocab)) {
        throw new InputError(`labels[${Math.floor(i / seq)}, ${i % seq}] = ${label} is outside the vocabulary [0, ${vocab}) and is not the ignore index ${attrs.ignoreIndex}`);
      }
    }
  }
  return [batch, seq, vocab, attrs.shift ? 1 : 0, attrs.ignoreIndex];
}

/** one thread: the mean over counted positions of lse(row) − logit[label] (NaN when none is counted, as torch) */
function crossEntropyKernel(_tun: Tunables) {
  return memoSpec('cross-entropy', () => ({
    name: 'cross-entropy',
    storage: ['read', 'read', 'write'],
    code: `${paramsStruct(CE_FIELDS)}${storage(1, 'logits', 'read', 'f32')}${storage(2, 'labels', 'read', 'i32')}${storage(3, 'loss', 'write', 'f32')}${CE_HELPERS}
@compute @workgroup_size(1)
fn main(${BUILTINS}) {
  var total = 0.0;
  var count = 0u;
  for (var b = 0u; b < p.batch; b++) {
    for (var t = 0u; t < p.seq; t++) {
      if (!counted(b, t)) { continue; }
      let row = b * p.seq + t - p.shift;
      total += rowLse(row) - logits[row * p.vocab + u32(labelAt(b, t))];
      count++;
    }
  }
  loss[0] = total / f32(count);
}
`,
  }));
}

export const crossEntropyOp: WebGpuTrainingOp<'CrossEntropy'> = {
  kernels: (_n, { tun }) => [crossEntropyKernel(tun)],
  lower(node, ctx, [shape]) {
    const params = crossEntropyParams(node.name, node.op, node.attrs, ctx, node.inputs[0], node.inputs[1]);
    const logits = ctx.dense(node.inputs[0]);
    const labels = ctx.dense(node.inputs[1]);
    const loss = ctx.output(node, 0, shape);
    ctx.step(crossEntropyKernel(ctx.tun), [logits.slot, labels.slot, loss.slot], CE_FIELDS, params, [1, 1]);
  },
};
