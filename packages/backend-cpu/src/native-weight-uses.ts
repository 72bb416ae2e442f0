import { isPacked, resolveWeights, type Graph, type WeightFormat, type WeightMap, type WeightTensor } from '@xlora/core';

/** The op inputs whose kernels read a weight in any storage format: MatMul's weight and Gather's table. */
const NATIVE_INPUTS: Readonly<Record<string, number>> = { MatMul: 1, Gather: 0 };

/**
 * The weights the cpu kernels compute from: a packed weight stays packed when every use of it in the graph is a
 * MatMul weight or a Gather table; one used anywhere else (a norm weight, an Add operand, an X-LoRA mixture input)
 * is dequantized to f32 once, cached per tensor (resolveWeights).
 */
export function cpuWeights(graph: Graph, weights: WeightMap, onDequantize?: (format: WeightFormat, count: number) => void): Map<string, WeightTensor> {
  const elsewhere = new Set<string>();
  for (const node of graph.nodes) {
    node.inputs.forEach((name, i) => {
      if (NATIVE_INPUTS[node.op] !== i) elsewhere.add(name);
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
