import { InputError } from '@xlora/core';
import { openRandomAccess, type FileSource } from '../loading/file-source.js';

/** Byte ranges of one GGUF file through one open handle (a Node file handle, one URL, a Blob). */
export interface ByteRangeReader {
  readonly file: string;
  readonly size: number;
  /** bytes [start, end); fewer only when end is past the end of the file */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Releases the handle; idempotent. */
  close(): Promise<void>;
}

export async function byteRangeReader(src: FileSource, path: string): Promise<ByteRangeReader> {
  const file = src.describe(path);
  if (!(await src.exists(path))) throw new InputError(`${file}: file not found`);
  const handle = await openRandomAccess(src, path);
  return {
    file,
    size: handle.size,
    read: (start, end) => handle.read(Math.min(start, handle.size), Math.min(end, handle.size)),
    close: () => handle.close(),
  };
}
