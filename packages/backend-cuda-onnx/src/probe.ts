import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema } from 'onnx-buf';
import { PRODUCER_NAME } from './export/export-graph.js';
import { valueInfo, type ElemType } from './export/proto.js';
import { IR_VERSION, ONNX_OPSET } from './flags.js';

/** y = Identity(x), any rank: copies device tensors to the host, and probes whether an EP starts. */
export function identityModel(type: ElemType): Uint8Array {
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(ONNX_OPSET) })],
    producerName: PRODUCER_NAME,
    graph: create(GraphProtoSchema, {
      name: 'identity',
      node: [create(NodeProtoSchema, { opType: 'Identity', input: ['x'], output: ['y'], name: 'identity' })],
      input: [valueInfo('x', type, null)],
      output: [valueInfo('y', type, null)],
    }),
  }));
}

/** The model createOnnxBackend / createOrtWebBackend load to check that an EP starts. */
export function probeModel(): Uint8Array {
  return identityModel('f32');
}
