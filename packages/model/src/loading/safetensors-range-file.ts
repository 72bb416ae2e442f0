import { InputError, type HostTensor, type WeightTensor } from '@xlora/core';
import { openRandomAccess, type FileSource, type RandomAccessFile } from './file-source.js';
import { parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry, type SafetensorsLayout } from './safetensors-header.js';
import { floatValues, intValues, storedWeight } from './safetensors-values.js';
import { missingTensorMessage, type TensorInfo } from './tensor-source.js';

/**
 * A safetensors file opened for range reads: the header is read and validated when it opens (the same checks
 * as parseSafetensors); each tensor's bytes are read from its own file range when asked for, so the file is
 * never held whole in memory and may be of any size. Keeps one handle open until `close`.
 */
export interface SafetensorsRangeFile {
  /** the file, for messages (FileSource.describe) */
  readonly file: string;
  /** its path in the source */
  readonly path: string;
  readonly metadata: Record<string, string>;
  /** bytes in the file */
  readonly size: number;
  /** bytes before the data section (length prefix + header) */
  readonly headerBytes: number;
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Absolute file offset of a tensor's data. */
  offset(name: string): number;
  /** A tensor's bytes, or bytes [from, to) of them. */
  read(name: string, from?: number, to?: number): Promise<Uint8Array>;
  /** A float tensor widened to f32 (F16/BF16/F64 converted; F32 copied to an aligned array when unaligned). */
  readF32(name: string): Promise<HostTensor<'f32'>>;
  /** An integer tensor as int32. */
  readI32(name: string): Promise<HostTensor<'i32'>>;
  /** A float tensor in the format it is stored in (F16/BF16 packed, F32 as f32, F64 narrowed to f32). */
  readWeight(name: string): Promise<WeightTensor>;
  close(): Promise<void>;
}

/** Opens `path` in `src` and validates its header; a bad header closes the file and throws an InputError naming it. */
export async function openSafetensors(src: FileSource, path: string): Promise<SafetensorsRangeFile> {
  const file = src.describe(path);
  const handle = await openRandomAccess(src, path);
  try {
    const first = await handle.read(0, Math.min(8, handle.size));
    const headerLen = safetensorsHeaderLength(first, handle.size, file);
    const layout = parseSafetensorsHeader(await handle.read(8, 8 + headerLen), handle.size, file);
    return new RangeReader(path, layout, handle, 8 + headerLen);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

class RangeReader implements SafetensorsRangeFile {
  readonly file: string;
  readonly metadata: Record<string, string>;
  readonly size: number;

  constructor(
    readonly path: string,
    private readonly layout: SafetensorsLayout,
    private readonly handle: RandomAccessFile,
    readonly headerBytes: number,
  ) {
    this.file = layout.file;
    this.metadata = layout.metadata;
    this.size = layout.fileSize;
  }

  names(): string[] {
    return [...this.layout.entries.keys()];
  }
  has(name: string): boolean {
    return this.layout.entries.has(name);
  }
  info(name: string): TensorInfo {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.byteLength };
  }
  offset(name: string): number {
    return this.entry(name).start;
  }

  async read(name: string, from = 0, to?: number): Promise<Uint8Array> {
    const e = this.entry(name);
    const end = to ?? e.byteLength;
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(end) && 0 <= from && from <= end && end <= e.byteLength)) {
      throw new InputError(`${this.file}: tensor ${JSON.stringify(name)} has ${e.byteLength} bytes; bytes [${from}, ${end}) of it were asked for`);
    }
    try {
      return await this.handle.read(e.start + from, e.start + end);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(`${err.message} (reading tensor ${JSON.stringify(name)})`, { cause: err });
    }
  }

  async readF32(name: string): Promise<HostTensor<'f32'>> {
    return floatValues(this.entry(name), await this.read(name), this.file, name);
  }
  async readI32(name: string): Promise<HostTensor<'i32'>> {
    return intValues(this.entry(name), await this.read(name), this.file, name);
  }
  async readWeight(name: string): Promise<WeightTensor> {
    return storedWeight(this.entry(name), await this.read(name), this.file, name);
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  private entry(name: string): SafetensorsEntry {
    const e = this.layout.entries.get(name);
    if (!e) throw new InputError(missingTensorMessage(this.file, name, this.names()));
    return e;
  }
}
