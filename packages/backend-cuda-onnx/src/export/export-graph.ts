import { create, toBinary } from '@bufbuild/protobuf';
import { InputError, outputShapes, type Dim, type Graph, type WeightMap } from '@xlora/core';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type ModelProto } from 'onnx-buf';
import { EXTERNAL_DATA_THRESHOLD_BYTES, IR_VERSION, MS_DOMAIN, MS_OPSET, ONNX_OPSET } from '../flags.js';
import { initializerBytes, moveToExternalData, type ExternalDataOptions, type ExternalFile } from './external-data.js';
import { planFusions } from './fusion-plan.js';
import { OnnxBuilder } from './onnx-builder.js';
import { LOWERINGS } from './ops/index.js';
import type { ExportOptions } from './options.js';
import { stringEntry, valueInfo } from './proto.js';

export const PRODUCER_NAME = '@xlora/backend-cuda-onnx';

/** Symbolic shapes of every value: inputs and weights as declared, node outputs by the IR's shape rules. */
export function symbolicShapes(graph: Graph): Map<string, readonly Dim[]> {
  const shapes = new Map<string, readonly Dim[]>();
  for (const v of [...graph.inputs, ...graph.weights]) shapes.set(v.name, v.shape);
  for (const n of graph.nodes) {
    const outs = outputShapes(n, n.inputs.map((i) => {
      const s = shapes.get(i);
      if (!s) throw new InputError(`graph "${graph.name}": node "${n.name}" reads "${i}", which no input, weight or earlier node defines`);
      return s;
    }));
    n.outputs.forEach((o, i) => shapes.set(o, outs[i]));
  }
  return shapes;
}

/** Lowers an IR graph and its weights to an ONNX ModelProto (IR 10, opset 21, + com.microsoft 1 when used). */
export function graphToModel(graph: Graph, weights: WeightMap, options: ExportOptions = {}): ModelProto {
  const shapes = symbolicShapes(graph);
  const b = new OnnxBuilder(graph, weights, options, shapes);
  const plan = planFusions(graph, shapes, options);
  for (const node of graph.nodes) (LOWERINGS[node.op] as (...a: unknown[]) => void)(b, node, plan);

  const fixed = new Set([...graph.inputs, ...graph.weights].map((v) => v.name));
  for (const o of graph.outputs) {
    if (fixed.has(o.name)) throw new InputError(`graph "${graph.name}": output "${o.name}" is an input or weight; the ONNX exporter needs outputs produced by nodes`);
  }
  const opsetImport = [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(ONNX_OPSET) })];
  if (b.usesMsDomain) opsetImport.push(create(OperatorSetIdProtoSchema, { domain: MS_DOMAIN, version: BigInt(MS_OPSET) }));
  return create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    opsetImport,
    producerName: PRODUCER_NAME,
    producerVersion: '0.1.0',
    docString: `xlora graph "${graph.name}"`,
    metadataProps: Object.entries(options.metadata ?? {}).map(([k, v]) => stringEntry(k, v)),
    graph: create(GraphProtoSchema, {
      name: graph.name,
      node: b.nodes,
      initializer: b.initializers,
      input: graph.inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      output: graph.outputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
    }),
  });
}

export interface SerializedModel {
  /** the ModelProto bytes */
  bytes: Uint8Array;
  /** external data files (empty when every initializer fits in the model) */
  externalFiles: ExternalFile[];
}

/**
 * Serialises a model; when its initializers exceed the threshold (protobuf's 2 GiB limit), large ones move to
 * external data files first.
 */
export function serializeModel(
  model: ModelProto, options: ExportOptions & { external: ExternalDataOptions },
): SerializedModel {
  const threshold = options.externalDataThresholdBytes ?? EXTERNAL_DATA_THRESHOLD_BYTES;
  const externalFiles = initializerBytes(model) > threshold ? moveToExternalData(model, options.external) : [];
  return { bytes: toBinary(ModelProtoSchema, model), externalFiles };
}
