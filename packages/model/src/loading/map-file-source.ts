import { InputError } from '@xlora/core';
import { checkRange, type FileSource, type RandomAccessFile, type ReadProgress } from './file-source.js';
import { normalizePath } from './posix-path.js';

/**
 * Files held in memory, e.g. from a browser folder picker (`webkitRelativePath` -> File). Keys are POSIX paths
 * relative to the source root; they are normalized, so "./a/b" and "a/x/../b" name the same file. A path is a
 * folder when some key lies below it.
 */
export function mapFileSource(files: Map<string, Uint8Array | Blob> | Record<string, Uint8Array | Blob>): FileSource {
  const byPath = new Map<string, Uint8Array | Blob>();
  for (const [k, v] of files instanceof Map ? files : Object.entries(files)) byPath.set(normalizePath(k), v);
  const lookup = (path: string): Uint8Array | Blob => {
    const hit = byPath.get(normalizePath(path));
    if (hit === undefined) throw new InputError(`${normalizePath(path)}: file not found`);
    return hit;
  };
  /** A Uint8Array is sliced as a view (no copy); a Blob (browser File) with Blob.slice, so only the range is read. */
  const openFile = async (path: string): Promise<RandomAccessFile> => {
    const v = lookup(path);
    const size = v instanceof Uint8Array ? v.byteLength : v.size;
    const where = normalizePath(path);
    let closed = false;
    return {
      size,
      async read(start, end) {
        if (closed) throw new InputError(`${where}: read after close`);
        checkRange(where, start, end, size);
        if (v instanceof Uint8Array) return v.subarray(start, end);
        const bytes = new Uint8Array(await v.slice(start, end).arrayBuffer());
        if (bytes.length !== end - start) throw new InputError(`${where}: asked for ${end - start} bytes at ${start}, the file gave ${bytes.length}`);
        return bytes;
      },
      async close() {
        closed = true;
      },
    };
  };
  const bytesOf = async (v: Uint8Array | Blob): Promise<Uint8Array> => (v instanceof Uint8Array ? v : new Uint8Array(await v.arrayBuffer()));
  return {
    describe: (path) => normalizePath(path),
    async exists(path) {
      const p = normalizePath(path);
      if (byPath.has(p)) return true;
      const prefix = p === '' ? '' : `${p}/`;
      for (const k of byPath.keys()) if (k.startsWith(prefix)) return true;
      return false;
    },
    async size(path) {
      const v = lookup(path);
      return v instanceof Uint8Array ? v.byteLength : v.size;
    },
    async read(path: string, onProgress?: ReadProgress) {
      const bytes = await bytesOf(lookup(path));
      onProgress?.(bytes.length, bytes.length);
      return bytes;
    },
    async readRange(path, start, end) {
      const file = await openFile(path);
      return file.read(start, end);
    },
    open: openFile,
    async list(dir) {
      const p = normalizePath(dir);
      const prefix = p === '' || p === '.' ? '' : `${p}/`;
      return [...byPath.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length));
    },
  };
}
