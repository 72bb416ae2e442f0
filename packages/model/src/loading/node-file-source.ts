import { InputError } from '@xlora/core';
import type { FileSource, ReadProgress } from './file-source.js';
import { joinPath } from './posix-path.js';

type Fs = typeof import('node:fs/promises');
let fsPromise: Promise<Fs> | undefined;
// Imported lazily so that browser bundles that never call nodeFileSource do not need node:fs.
const fs = (): Promise<Fs> => (fsPromise ??= import('node:fs/promises'));

const CHUNK = 16 << 20;

/** Files under `rootDir` on the local file system (Node). `describe` returns rootDir joined with the path. */
export function nodeFileSource(rootDir = '.'): FileSource {
  const full = (path: string): string => joinPath(rootDir, path) || '.';
  const notFound = (path: string, err: unknown): InputError =>
    new InputError(`${full(path)}: ${(err as { code?: string }).code === 'ENOENT' ? 'file not found' : `cannot read (${(err as Error).message})`}`, {
      cause: err,
    });
  const open = async (path: string): Promise<Awaited<ReturnType<Fs['open']>>> => {
    try {
      return await (await fs()).open(full(path), 'r');
    } catch (err) {
      throw notFound(path, err);
    }
  };
  return {
    describe: full,
    async exists(path) {
      try {
        await (await fs()).stat(full(path));
        return true;
      } catch {
        return false;
      }
    },
    async size(path) {
      try {
        return (await (await fs()).stat(full(path))).size;
      } catch (err) {
        throw notFound(path, err);
      }
    },
    async read(path: string, onProgress?: ReadProgress) {
      const handle = await open(path);
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw new InputError(`${full(path)}: is not a file`);
        const out = new Uint8Array(stat.size);
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await handle.read(out, done, Math.min(CHUNK, out.length - done), done);
          if (bytesRead === 0) throw new InputError(`${full(path)}: file shrank while being read`);
          done += bytesRead;
          onProgress?.(done, out.length);
        }
        if (out.length === 0) onProgress?.(0, 0);
        return out;
      } finally {
        await handle.close();
      }
    },
    async readRange(path, start, end) {
      const handle = await open(path);
      try {
        const out = new Uint8Array(Math.max(0, end - start));
        const { bytesRead } = await handle.read(out, 0, out.length, start);
        return out.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}
