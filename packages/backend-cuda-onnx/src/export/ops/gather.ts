import type { Lowering } from './lowering.js';

/** table [V,H], ids i32 [B,S] -> [B,S,H]: ONNX Gather on axis 0 takes int32 indices as they are. */
export const lowerGather: Lowering<'Gather'> = (b, node) => {
  const [table, ids] = node.inputs;
  b.op('Gather', [b.value(table), b.value(ids)], { name: node.name, outputs: node.outputs, attrs: { axis: { kind: 'int', value: 0 } } });
};
