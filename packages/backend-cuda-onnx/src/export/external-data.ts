import { TensorProto_DataLocation, type ModelProto } from 'onnx-buf';
import { EXTERNAL_DATA_ALIGN_BYTES, EXTERNAL_DATA_MIN_TENSOR_BYTES } from '../flags.js';
import { stringEntry } from './proto.js';

/** One external data file: where each moved tensor's bytes go. `parts` are views of the tensors (no copies). */
export interface ExternalFile {
  /** path relative to the model file, as written in the tensors' `location` */
  path: string;
  size: number;
  parts: { offset: number; bytes: Uint8Array }[];
}

export interface ExternalDataOptions {
  /** file name of chunk i (chunks are only used when maxChunkBytes is finite) */
  location: (chunk: number) => string;
  maxChunkBytes?: number;
  minTensorBytes?: number;
  align?: number;
}

export function initializerBytes(model: ModelProto): number {
  return (model.graph?.initializer ?? []).reduce((n, t) => n + t.rawData.byteLength, 0);
}

/**
 * Moves every initializer of at least `minTensorBytes` out of the model into external data, ONNX's standard
 * layout: the tensor keeps its name, type and dims, with data_location EXTERNAL and location/offset/length entries.
 */
export function moveToExternalData(model: ModelProto, o: ExternalDataOptions): ExternalFile[] {
  const minBytes = o.minTensorBytes ?? EXTERNAL_DATA_MIN_TENSOR_BYTES;
  const align = o.align ?? EXTERNAL_DATA_ALIGN_BYTES;
  const maxChunk = o.maxChunkBytes ?? Infinity;
  const files: ExternalFile[] = [];
  let file: ExternalFile | null = null;
  for (const t of model.graph?.initializer ?? []) {
    const bytes = t.rawData;
    if (bytes.byteLength < minBytes) continue;
    let offset = file ? Math.ceil(file.size / align) * align : 0;
    if (!file || (offset + bytes.byteLength > maxChunk && file.parts.length > 0)) {
      file = { path: o.location(files.length), size: 0, parts: [] };
      files.push(file);
      offset = 0;
    }
    file.parts.push({ offset, bytes });
    file.size = offset + bytes.byteLength;
    t.rawData = new Uint8Array(0);
    t.dataLocation = TensorProto_DataLocation.EXTERNAL;
    t.externalData = [stringEntry('location', file.path), stringEntry('offset', String(offset)), stringEntry('length', String(bytes.byteLength))];
  }
  return files;
}

/** The bytes of an external file in one buffer (for sessions created from memory). */
export function assembleExternalFile(file: ExternalFile): Uint8Array {
  const out = new Uint8Array(file.size);
  for (const p of file.parts) out.set(p.bytes, p.offset);
  return out;
}

/** A file's bytes for an in-memory session: the tensor itself (no copy) when the file holds one tensor at offset 0. */
export function externalFileBytes(file: ExternalFile): Uint8Array {
  const [first] = file.parts;
  return file.parts.length === 1 && first.offset === 0 && first.bytes.byteLength === file.size ? first.bytes : assembleExternalFile(file);
}
