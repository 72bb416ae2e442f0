/** Called while a file is read: bytes read so far and the file's size (NaN when unknown). */
export type ReadProgress = (loadedBytes: number, totalBytes: number) => void;

/**
 * Where checkpoint files come from: a folder (Node), a web server (fetch) or files the user picked (browser).
 * Paths are POSIX-style; relative ones are relative to the source's root, ".." is allowed (PEFT adapter paths
 * are relative to the working directory). A missing file makes `read` throw an InputError.
 */
export interface FileSource {
  /** A human-readable location for messages (a file-system path or a URL). */
  describe(path: string): string;
  /** True for an existing file (or, where the source can tell, folder). Never throws for a missing path. */
  exists(path: string): Promise<boolean>;
  read(path: string, onProgress?: ReadProgress): Promise<Uint8Array>;
  /** Bytes [start, end) of a file, where the source can do that without reading the whole file. */
  readRange?(path: string, start: number, end: number): Promise<Uint8Array>;
  /** The size of a file in bytes, where the source can tell cheaply. */
  size?(path: string): Promise<number>;
}
