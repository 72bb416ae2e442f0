import type { Lowering } from './lowering.js';

/** ONNX Reshape with allowzero=0 has the IR's semantics: 0 copies the input dim at the same index. */
export const lowerReshape: Lowering<'Reshape'> = (b, node) => {
  b.op('Reshape', [b.value(node.inputs[0]), b.constI64(node.attrs.shape)], { name: node.name, outputs: node.outputs });
};

/** ONNX Slice clamps negative and out-of-range indices as the IR does; end = null slices to the end. */
export const lowerSlice: Lowering<'Slice'> = (b, node) => {
  const { axis, start, end } = node.attrs;
  const ends = b.constI64([end ?? Number.MAX_SAFE_INTEGER]);
  b.op('Slice', [b.value(node.inputs[0]), b.constI64([start]), ends, b.constI64([axis])], { name: node.name, outputs: node.outputs });
};
