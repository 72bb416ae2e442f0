import { isPacked, resolveWeights, type Graph, type WeightFormat, type WeightMap, type WeightTensor } from '@xlora/core';

/**
 * The op inputs whose kernels read a weight in any storage format: MatMul's weight, Gather's table, and MoeMlp's
 * expert matrices (inputs 2.., which its kernel multiplies with the MatMul kernel).
 */
const NATIVE_INPUTS: Readonly<Record<string, (input: number) => boolean>> = {
  MatMul: (i) => i === 1,
  Gather: (i) => i === 0,
  MoeMlp: (i) => i >= 2,
};

/**
 * The weights the cpu kernels compute from: a packed weight stays packed when every use of it in the graph is a
 * MatMul weight, a Gather table or a MoeMlp expert matrix; one used anywhere else (a norm weight, an Add operand, an X-LoRA mixture input)
 * is dequantized to f32 once, cached per tensor (resolveWeights).
 */
export function cpuWeights(graph: Graph, weights: WeightMap, onDequantize?: (format: WeightFormat, count: number) => void): Map<string, WeightTensor> {
  const elsewhere = new Set<string>();
  for (const node of graph.nodes) {
    node.inputs.forEach((name, i) => {
      if (!NATIVE_INPUTS[node.op]?.(i)) elsewhere.add(name);
    });
  }
  for (const o of graph.outputs) elsewhere.add(o.name);
  const widen = new Map<string, WeightTensor>();
  const out = new Map<string, WeightTensor>();
  for (const [name, t] of weights) {
    if (isPacked(t) && elsewhere.has(name)) widen.set(name, t);
    else out.set(name, t);
  }
  for (const [name, t] of resolveWeights(widen, ['f32'], onDequantize)) out.set(name, t);
  return out;
}
