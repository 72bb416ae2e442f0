import { InputError } from '@xlora/core';
import { checkRange, type FileSource, type RandomAccessFile, type ReadProgress } from './file-source.js';
import { joinPath } from './posix-path.js';

type Fs = typeof import('node:fs/promises');
let fsPromise: Promise<Fs> | undefined;
// Imported lazily so that browser bundles that never call nodeFileSource do not need node:fs.
const fs = (): Promise<Fs> => (fsPromise ??= import('node:fs/promises'));

/** Bytes per read call (Node caps one read at 2 GiB; smaller calls keep a whole-file read's progress moving). */
const CHUNK = 16 << 20;

type Handle = Awaited<ReturnType<Fs['open']>>;

/** Fills out[0..] from the file at `position`; a file that ends early is an error naming it. */
async function readFully(handle: Handle, out: Uint8Array, position: number, where: string, onChunk?: (done: number) => void): Promise<void> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, Math.min(CHUNK, out.length - done), position + done);
    if (bytesRead === 0) throw new InputError(`${where}: file ended at byte ${position + done} while reading bytes [${position}, ${position + out.length}) (truncated or shrank while being read)`);
    done += bytesRead;
    onChunk?.(done);
  }
}

/** Files under `rootDir` on the local file system (Node). `describe` returns rootDir joined with the path. */
export function nodeFileSource(rootDir = '.'): FileSource {
  const full = (path: string): string => joinPath(rootDir, path) || '.';
  const notFound = (path: string, err: unknown): InputError =>
    new InputError(`${full(path)}: ${(err as { code?: string }).code === 'ENOENT' ? 'file not found' : `cannot read (${(err as Error).message})`}`, {
      cause: err,
    });
  const open = async (path: string): Promise<Handle> => {
    try {
      return await (await fs()).open(full(path), 'r');
    } catch (err) {
      throw notFound(path, err);
    }
  };
  const openFile = async (path: string): Promise<RandomAccessFile> => {
    const handle = await open(path);
    let size: number;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new InputError(`${full(path)}: is not a file`);
      size = stat.size;
    } catch (err) {
      await handle.close();
      throw err;
    }
    let closed = false;
    return {
      size,
      async read(start, end) {
        if (closed) throw new InputError(`${full(path)}: read after close`);
        checkRange(full(path), start, end, size);
        const out = new Uint8Array(end - start);
        await readFully(handle, out, start, full(path));
        return out;
      },
      async close() {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
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
        await readFully(handle, out, 0, full(path), (done) => onProgress?.(done, out.length));
        if (out.length === 0) onProgress?.(0, 0);
        return out;
      } finally {
        await handle.close();
      }
    },
    async readRange(path, start, end) {
      const file = await openFile(path);
      try {
        return await file.read(start, end);
      } finally {
        await file.close();
      }
    },
    open: openFile,
    async list(dir) {
      try {
        return (await (await fs()).readdir(full(dir), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
      } catch (err) {
        throw notFound(dir, err);
      }
    },
  };
}
