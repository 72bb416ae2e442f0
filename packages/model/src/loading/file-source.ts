import { InputError } from '@xlora/core';

/** Called while a file is read: bytes read so far and the file's size (NaN when unknown). */
export type ReadProgress = (loadedBytes: number, totalBytes: number) => void;

/** One file opened for many range reads (a Node file handle, a URL whose size is known, a Blob). */
export interface RandomAccessFile {
  /** bytes in the file */
  readonly size: number;
  /** Bytes [start, end) (end <= size): exactly end − start of them, or an InputError naming the file. */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Releases the handle; reads after close are an error. Idempotent. */
  close(): Promise<void>;
}

/**
 * Where checkpoint files come from: a folder (Node), a web server (fetch) or files the user picked (browser).
 * Paths are POSIX-style; relative ones are relative to the source's root, ".." is allowed (PEFT adapter paths
 * are relative to the working directory). A missing file makes `read` throw an InputError.
 *
 * Weights are read by range (`open`, else `size` + `readRange`), one tensor at a time, so a file is never held
 * whole in memory and files of any size (over 4 GiB) load.
 */
export interface FileSource {
  /** A human-readable location for messages (a file-system path or a URL). */
  describe(path: string): string;
  /** True for an existing file (or, where the source can tell, folder). Never throws for a missing path. */
  exists(path: string): Promise<boolean>;
  /** A whole (small) file: JSON, tokenizer. */
  read(path: string, onProgress?: ReadProgress): Promise<Uint8Array>;
  /** Bytes [start, end) of a file: exactly end − start of them, or an InputError naming the file. */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** The size of a file in bytes. */
  size(path: string): Promise<number>;
  /** Opens a file for many range reads with one handle (default: size + readRange per read). */
  open?(path: string): Promise<RandomAccessFile>;
  /** Names of the files directly in a folder, where the source can list folders (not over HTTP). */
  list?(dir: string): Promise<string[]>;
}

/** `src.open(path)` where the source has it, else a RandomAccessFile over `size` and `readRange`. */
export async function openRandomAccess(src: FileSource, path: string): Promise<RandomAccessFile> {
  if (src.open) return src.open(path);
  const size = await src.size(path);
  let closed = false;
  return {
    size,
    read: (start, end) => {
      if (closed) return Promise.reject(new InputError(`${src.describe(path)}: read after close`));
      return src.readRange(path, start, end);
    },
    close: async () => {
      closed = true;
    },
  };
}

/** The checks every RandomAccessFile makes on a range: whole numbers, start <= end <= size. */
export function checkRange(where: string, start: number, end: number, size: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end)) {
    throw new InputError(`${where}: bad byte range [${start}, ${end})`);
  }
  if (end > size) throw new InputError(`${where}: byte range [${start}, ${end}) is beyond the end of the file (${size} bytes)`);
}
