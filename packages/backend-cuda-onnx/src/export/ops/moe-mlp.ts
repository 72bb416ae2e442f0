import type { OnnxBuilder } from '../onnx-builder.js';
import { tensorProto } from '../proto.js';
import type { Lowering } from './lowering.js';
import { linear } from './matmul.js';

/**
 * Sparse MoE MLP (Mixtral) from standard ops, computing each expert only on the rows routed to it:
 *   xf = Reshape(x, [N,H]),  p = Softmax(Reshape(router, [N,E]))                            N = B·S tokens
 *   (top [N,k], idx [N,k]) = TopK(p, k)        ONNX TopK: descending, equal values lower index first
 *   w = top / ReduceSum(top)                                                                 [N,k]
 * then for each expert e (ascending, so the sums run in the reference order):
 *   pairs = NonZero(idx = e)ᵀ [M,2] (token, slot); rows = pairs[:,0] [M]; we = GatherND(w, pairs) [M]
 *   ye = down_e(silu(gate_e xr) ⊙ up_e xr) · we,  xr = Gather(xf, rows) [M,H]
 *   acc = ScatterND(acc, rows, ye, reduction add)                                            [N,H]
 * An expert no token chose runs on M = 0 rows (empty tensors: no arithmetic). Decode reads k of E experts' weights.
 */
export const lowerMoeMlp: Lowering<'MoeMlp'> = (b, node) => {
  const { numExperts, topK } = node.attrs;
  const name = node.name;
  const [x, router, ...experts] = node.inputs;
  const hidden = b.shapeOf(experts[2])[0];
  const i64 = (...a: number[]) => b.constI64(a);
  const xf = b.op1('Reshape', [b.value(x), i64(-1, Number(hidden))], { name }); // [N,H]
  const p = b.op1('Softmax', [b.op1('Reshape', [b.value(router), i64(-1, numExperts)], { name })], { name, attrs: { axis: { kind: 'int', value: -1 } } }); // [N,E]
  const [top, idx] = b.op('TopK', [p, i64(topK)], { name, outputs: [b.fresh(`${name}:top`), b.fresh(`${name}:idx`)], attrs: { axis: { kind: 'int', value: -1 } } }); // [N,k]
  const w = b.op1('Div', [top, b.op1('ReduceSum', [top, i64(-1)], { name, attrs: { keepdims: { kind: 'int', value: 1 } } })], { name }); // [N,k]

  let acc = b.op1('ConstantOfShape', [b.op1('Shape', [xf], { name })], { name, attrs: { value: { kind: 'tensor', value: tensorProto('zero', 'f32', [1], Float32Array.of(0)) } } }); // [N,H]
  for (let e = 0; e < numExperts; e++) {
    const [gate, up, down] = experts.slice(3 * e, 3 * e + 3);
    const pairs = b.op1('Transpose', [b.op1('NonZero', [b.op1('Equal', [idx, b.scalarI64(e)], { name })], { name })], { name }); // [M,2]
    const rows = b.op1('Gather', [pairs, b.scalarI64(0)], { name, attrs: { axis: { kind: 'int', value: 1 } } }); // [M]
    const we = b.op1('GatherND', [w, pairs], { name }); // [M]
    const xr = b.op1('Gather', [xf, rows], { name, attrs: { axis: { kind: 'int', value: 0 } } }); // [M,H]
    const g = linear(b, name, xr, gate), u = linear(b, name, xr, up); // [M,I]
    const h = b.op1('Mul', [b.op1('Mul', [g, b.op1('Sigmoid', [g], { name })], { name }), u], { name });
    const ye = b.op1('Mul', [linear(b, name, h, down), b.op1('Unsqueeze', [we, i64(1)], { name })], { name }); // [M,H]
    const rowIdx = b.op1('Unsqueeze', [rows, i64(1)], { name }); // [M,1]
    acc = b.op1('ScatterND', [acc, rowIdx, ye], { name, attrs: { reduction: { kind: 'string', value: 'add' } } });
  }
  b.op('Reshape', [acc, b.op1('Shape', [b.value(x)], { name })], { name, outputs: node.outputs });
};
