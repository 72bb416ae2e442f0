import { InputError } from '@xlora/core';
import type { FileSource, ReadProgress } from './file-source.js';
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
      const v = lookup(path);
      return v instanceof Uint8Array ? v.subarray(start, end) : new Uint8Array(await v.slice(start, end).arrayBuffer());
    },
  };
}
