import type { AnyNode, Graph, TrainingGraph } from '@xlora/core';

/** Name of the i32 [1] input that seeds the classifier's dropout masks (a new seed per training forward). */
export const DROPOUT_SEED_INPUT = 'xlora.dropout_seed';

/**
 * Train mode of PEFT's classifier: an nn.Dropout(p) after every hidden ReLU (Linear, ReLU, Dropout, …, Linear). The
 * step graph is built in eval mode (dropout is the identity there), so this inserts a Dropout node after each ReLU
 * of the classifier scope and rewires its consumers; each node draws its own mask (stream = its index).
 */
export function withClassifierDropout(graph: Graph | TrainingGraph, p: number, scope = 'classifier/'): TrainingGraph {
  if (p === 0) return graph;
  const renamed = new Map<string, string>();
  const nodes: AnyNode[] = [];
  let stream = 0;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((n) => renamed.get(n) ?? n);
    nodes.push({ ...node, inputs } as AnyNode);
    if (node.op === 'Relu' && node.name.includes(scope)) {
      const out = `${node.outputs[0]}:dropout`;
      nodes.push({ op: 'Dropout', name: `${node.name}/dropout`, inputs: [node.outputs[0], DROPOUT_SEED_INPUT], outputs: [out], attrs: { p, stream: stream++ } });
      renamed.set(node.outputs[0], out);
    }
  }
  return {
    ...graph,
    inputs: [...graph.inputs, { name: DROPOUT_SEED_INPUT, dtype: 'i32', shape: [1] }],
    nodes,
    outputs: graph.outputs.map((o) => ({ ...o, name: renamed.get(o.name) ?? o.name })),
  };
}
