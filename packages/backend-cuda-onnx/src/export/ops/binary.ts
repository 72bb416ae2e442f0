import { MS_DOMAIN } from '../../flags.js';
import type { Lowering } from './lowering.js';

/**
 * Add: NumPy broadcasting from the right is the IR's suffix broadcast. When the fusion plan folds this Add into the
 * RmsNorm that reads it, one SkipSimplifiedLayerNormalization produces both the norm and the sum, here (so every
 * other reader of the sum comes after it).
 */
export const lowerAdd: Lowering<'Add'> = (b, node, plan) => {
  const [a, c] = node.inputs;
  const rms = plan.skipNormOfAdd.get(node.name);
  if (rms) {
    b.op('SkipSimplifiedLayerNormalization', [b.value(a), b.value(c), b.value(rms.inputs[1])], {
      name: rms.name, domain: MS_DOMAIN, outputs: [rms.outputs[0], '', '', node.outputs[0]],
      attrs: { epsilon: { kind: 'float', value: rms.attrs.eps } },
    });
    return;
  }
  b.op('Add', [b.value(a), b.value(c)], { name: node.name, outputs: node.outputs });
};

export const lowerMul: Lowering<'Mul'> = (b, node) => {
  const [a, c] = node.inputs;
  b.op('Mul', [b.value(a), b.value(c)], { name: node.name, outputs: node.outputs });
};
