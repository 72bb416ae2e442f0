import { MS_DOMAIN } from '../../flags.js';
import type { OnnxBuilder } from '../onnx-builder.js';
import type { Lowering } from './lowering.js';

/**
 * Rotary embedding, HF rotate_half layout. x [B,S,nH*hd], positionIds i32 [B,S].
 * Standard ops:
 *   angle [B,S,hd/2] = f32(pos · invFreq)                     (Cast/Mul; in f64 then one rounding, as backend-cpu)
 *   cos, sin [B,S,1,hd] = Unsqueeze(Concat(c, c)) · attentionFactor
 *   x4 [B,S,nH,hd]; rotate_half(x4) = Concat(-x4[..., hd/2:], x4[..., :hd/2])
 *   y = Reshape(x4 · cos + rotate_half(x4) · sin, [B,S,nH*hd])
 * Contrib (options.contribOps.rotaryEmbedding): com.microsoft RotaryEmbedding with cos/sin caches for positions
 * [0, maxPositions) computed here exactly as above.
 */
export const lowerRope: Lowering<'Rope'> = (b, node) => {
  const rotary = b.options.contribOps?.rotaryEmbedding;
  if (rotary) {
    lowerRotaryEmbedding(b, node.name, node.inputs, node.outputs[0], node.attrs, rotary.maxPositions);
    return;
  }
  const { numHeads, headDim, invFreq, attentionFactor } = node.attrs;
  const half = headDim / 2;
  const name = node.name;
  const [x, pos] = node.inputs;
  const axes = (...a: number[]) => b.constI64(a);

  let angle: string;
  if ((b.options.ropeAngles ?? 'f64') === 'f64') {
    const posD = b.op1('Cast', [b.value(pos)], { name, attrs: { to: { kind: 'int', value: 11 } } }); // DOUBLE
    const prod = b.op1('Mul', [b.op1('Unsqueeze', [posD, axes(-1)], { name }), b.constF64(invFreq)], { name });
    angle = b.op1('Cast', [prod], { name, attrs: { to: { kind: 'int', value: 1 } } }); // FLOAT
  } else {
    const posF = b.op1('Cast', [b.value(pos)], { name, attrs: { to: { kind: 'int', value: 1 } } });
    angle = b.op1('Mul', [b.op1('Unsqueeze', [posF, axes(-1)], { name }), b.constF32(invFreq)], { name });
  }
  const table = (fn: 'Cos' | 'Sin') => {
    let t = b.op1(fn, [angle], { name }); // [B,S,hd/2]
    if (attentionFactor !== 1) t = b.op1('Mul', [t, b.scalarF32(attentionFactor)], { name });
    const full = b.op1('Concat', [t, t], { name, attrs: { axis: { kind: 'int', value: -1 } } }); // [B,S,hd]
    return b.op1('Unsqueeze', [full, axes(2)], { name }); // [B,S,1,hd]
  };
  const cos = table('Cos');
  const sin = table('Sin');

  const x4 = b.op1('Reshape', [b.value(x), b.constI64([0, 0, numHeads, headDim])], { name });
  const first = b.op1('Slice', [x4, b.constI64([0]), b.constI64([half]), axes(3)], { name });
  const second = b.op1('Slice', [x4, b.constI64([half]), b.constI64([headDim]), axes(3)], { name });
  const rotated = b.op1('Concat', [b.op1('Neg', [second], { name }), first], { name, attrs: { axis: { kind: 'int', value: 3 } } });
  const sum = b.op1('Add', [b.op1('Mul', [x4, cos], { name }), b.op1('Mul', [rotated, sin], { name })], { name });
  b.op('Reshape', [sum, b.constI64([0, 0, -1])], { name, outputs: node.outputs });
};

function lowerRotaryEmbedding(
  b: OnnxBuilder, name: string, inputs: readonly string[], out: string,
  attrs: { numHeads: number; headDim: number; invFreq: readonly number[]; attentionFactor: number }, maxPositions: number,
): void {
  const { numHeads, headDim, invFreq, attentionFactor } = attrs;
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]);
      cos[p * half + i] = Math.cos(angle) * attentionFactor;
      sin[p * half + i] = Math.sin(angle) * attentionFactor;
    }
  }
  const cosCache = b.initializer(`${name}/cos_cache`, 'f32', [maxPositions, half], cos);
  const sinCache = b.initializer(`${name}/sin_cache`, 'f32', [maxPositions, half], sin);
  const pos64 = b.op1('Cast', [b.value(inputs[1])], { name, attrs: { to: { kind: 'int', value: 7 } } }); // INT64
  b.op('RotaryEmbedding', [b.value(inputs[0]), pos64, cosCache, sinCache], {
    name, domain: MS_DOMAIN, outputs: [out],
    attrs: { interleaved: { kind: 'int', value: 0 }, num_heads: { kind: 'int', value: numHeads }, rotary_embedding_dim: { kind: 'int', value: headDim } },
  });
}
