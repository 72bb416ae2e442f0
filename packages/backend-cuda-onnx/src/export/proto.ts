import { create } from '@bufbuild/protobuf';
import type { DType, Dim } from '@xlora/core';
import {
  AttributeProto_AttributeType as AttrType,
  AttributeProtoSchema,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType as DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type StringStringEntryProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

export { DataType };

/** Element types the exporter emits. */
export type ElemType = 'f32' | 'f64' | 'i32' | 'i64' | 'bool' | 'u8' | 'f16' | 'bf16';

export const ONNX_TYPE: Record<ElemType, DataType> = {
  f32: DataType.FLOAT,
  f64: DataType.DOUBLE,
  i32: DataType.INT32,
  i64: DataType.INT64,
  bool: DataType.BOOL,
  u8: DataType.UINT8,
  f16: DataType.FLOAT16,
  bf16: DataType.BFLOAT16,
};

export function elemTypeOf(dtype: DType): ElemType {
  return dtype;
}

/** Attribute values a node can carry; the exporter picks the proto type from the JS type. */
export type AttrValue =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto };

export const int = (value: number | bigint): AttrValue => ({ kind: 'int', value });
export const ints = (value: readonly (number | bigint)[]): AttrValue => ({ kind: 'ints', value });
export const float = (value: number): AttrValue => ({ kind: 'float', value });
export const str = (value: string): AttrValue => ({ kind: 'string', value });
export const tensorAttr = (value: TensorProto): AttrValue => ({ kind: 'tensor', value });

export function attribute(name: string, v: AttrValue): AttributeProto {
  switch (v.kind) {
    case 'int': return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(v.value) });
    case 'ints': return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: v.value.map((x) => BigInt(x)) });
    case 'float': return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: v.value });
    case 'string': return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: new TextEncoder().encode(v.value) });
    case 'tensor': return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: v.value });
  }
}

export function nodeProto(
  opType: string, inputs: readonly string[], outputs: readonly string[], name: string,
  attrs: Readonly<Record<string, AttrValue>> = {}, domain = '',
): NodeProto {
  return create(NodeProtoSchema, {
    opType, domain, name, input: [...inputs], output: [...outputs],
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

/** Little-endian bytes of a typed array (no copy on little-endian hosts, which is every host ORT supports). */
export function bytesOf(data: ArrayBufferView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/** A dense tensor stored as raw little-endian bytes. */
export function tensorProto(name: string, type: ElemType, dims: readonly number[], data: TensorData): TensorProto {
  return create(TensorProtoSchema, { name, dataType: ONNX_TYPE[type], dims: dims.map((d) => BigInt(d)), rawData: bytesOf(data) });
}

/** A tensor-typed value info with symbolic dims as dim_params. */
export function valueInfo(name: string, type: ElemType, shape: readonly Dim[] | null): ValueInfoProto {
  const tensorType = create(TypeProto_TensorSchema, {
    elemType: ONNX_TYPE[type],
    shape: shape === null ? undefined : create(TensorShapeProtoSchema, {
      dim: shape.map((d) => create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
      })),
    }),
  });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } }) });
}

export function stringEntry(key: string, value: string): StringStringEntryProto {
  return create(StringStringEntryProtoSchema, { key, value });
}
