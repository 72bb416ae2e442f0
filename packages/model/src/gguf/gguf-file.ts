import { packed, type HostTensor, type PackedTensor, type WeightTensor } from '@xlora/core';
import type { FileSource } from '../loading/file-source.js';
import { byteRangeReader, type ByteRangeReader } from './byte-range-reader.js';
import { GgufError } from './gguf-error.js';
import { NeedMoreBytes, parseGgufHeader, type GgufHeader } from './gguf-header-parser.js';
import { GGUF_LIMITS } from './gguf-limits.js';
import type { GgufKv, GgufTensorInfo } from './gguf-types.js';

/** A GGUF file whose header has been read; tensors are read one at a time from their byte ranges. */
export interface GgufFile {
  /** the file as the source describes it, for messages */
  readonly file: string;
  readonly version: number;
  readonly fileSize: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GgufKv>;
  /** in file order */
  readonly tensors: readonly GgufTensorInfo[];
  tensor(name: string): GgufTensorInfo | undefined;
  /** The tensor's data: f32 as a HostTensor, the other formats as a PackedTensor (shape [out, in] order). */
  readTensor(name: string): Promise<WeightTensor>;
  /** Closes the file (one handle serves the header and every tensor read); idempotent. */
  close(): Promise<void>;
}

/** Reads the header of `path` (by byte ranges: a first 1 MiB, doubled while the metadata goes on). */
export async function openGguf(src: FileSource, path: string): Promise<GgufFile> {
  return ggufFileFrom(await byteRangeReader(src, path));
}

export async function ggufFileFrom(reader: ByteRangeReader): Promise<GgufFile> {
  try {
    return await readHeader(reader);
  } catch (err) {
    await reader.close();
    throw err;
  }
}

async function readHeader(reader: ByteRangeReader): Promise<GgufFile> {
  const { file, size } = reader;
  let want = Math.min(size, GGUF_LIMITS.firstReadBytes);
  let header: GgufHeader;
  for (;;) {
    const prefix = await reader.read(0, want);
    if (prefix.length < want) throw new GgufError('truncated', `${file}: the file shrank while being read (${prefix.length} of ${want} bytes)`);
    try {
      header = parseGgufHeader(prefix, size, file);
      break;
    } catch (err) {
      if (!(err instanceof NeedMoreBytes)) throw err;
      want = Math.min(size, Math.max(err.needed, 2 * want));
    }
  }
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  return {
    file,
    version: header.version,
    fileSize: size,
    alignment: header.alignment,
    dataOffset: header.dataOffset,
    metadata: header.metadata,
    tensors: header.tensors,
    tensor: (name) => byName.get(name),
    async readTensor(name) {
      const info = byName.get(name);
      if (!info) throw new GgufError('bad-value', `${file}: no tensor named ${JSON.stringify(name)}`);
      return readTensorData(reader, info);
    },
    close: () => reader.close(),
  };
}

async function readTensorData(reader: ByteRangeReader, info: GgufTensorInfo): Promise<WeightTensor> {
  const what = `${reader.file}: tensor ${JSON.stringify(info.name)}`;
  const bytes = await reader.read(info.fileOffset, info.fileOffset + info.byteLength);
  if (bytes.length !== info.byteLength) {
    throw new GgufError('truncated', `${what}: read ${bytes.length} of its ${info.byteLength} bytes (the file is shorter than its header says)`);
  }
  if (info.format === 'f32') return f32Tensor(info.shape, bytes);
  return packed(info.format, info.shape, bytes, what) as PackedTensor;
}

/** f32 values over the bytes (copied when the bytes are not 4-byte aligned in their buffer). */
function f32Tensor(shape: number[], bytes: Uint8Array): HostTensor<'f32'> {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return { dtype: 'f32', shape, data: new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4) };
}
