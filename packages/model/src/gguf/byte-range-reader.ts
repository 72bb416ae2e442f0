import { InputError } from '@xlora/core';
import type { FileSource } from '../loading/file-source.js';

/** Reads byte ranges of one file: through FileSource.readRange where the source has it, else from one whole read. */
export interface ByteRangeReader {
  readonly file: string;
  readonly size: number;
  /** bytes [start, end); fewer only when the file is shorter than it said */
  read(start: number, end: number): Promise<Uint8Array>;
}

export async function byteRangeReader(src: FileSource, path: string): Promise<ByteRangeReader> {
  const file = src.describe(path);
  if (!(await src.exists(path))) throw new InputError(`${file}: file not found`);
  if (src.readRange && src.size) {
    const readRange = src.readRange.bind(src);
    const size = await src.size(path);
    return { file, size, read: (start, end) => readRange(path, start, end) };
  }
  // A source without ranges (a custom FileSource): one read of the whole file, then views into it.
  const all = await src.read(path);
  return { file, size: all.length, read: async (start, end) => all.subarray(start, end) };
}
