import { InputError } from '@xlora/core';
import { checkRange, type FileSource, type RandomAccessFile, type ReadProgress } from './file-source.js';
import { normalizePath } from './posix-path.js';

type Fetch = typeof fetch;

export interface UrlFileSourceOptions {
  /** default: globalThis.fetch */
  fetch?: Fetch;
  /** Hears a server that ignores Range requests (the whole file is then downloaded once). Default: console.warn. */
  onNotice?: (message: string) => void;
}

/**
 * Files served over HTTP(S) below `baseUrl` (browser or Node 18+). Relative paths resolve like URLs ("..", "/").
 * Tensors are fetched with HTTP Range requests; the answer must be 206 with the Content-Range asked for. A
 * server that ignores Range (200 with the whole file) still works: the file is then downloaded whole, once per
 * opened file, with a notice.
 */
export function urlFileSource(baseUrl: string, fetchOrOptions: Fetch | UrlFileSourceOptions = {}): FileSource {
  const options = typeof fetchOrOptions === 'function' ? { fetch: fetchOrOptions } : fetchOrOptions;
  const fetchImpl: Fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
  const notice = options.onNotice ?? ((m: string) => console.warn(m));
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = (path: string): string => {
    const p = normalizePath(path);
    return new URL(p.startsWith('/') ? p : p.split('/').map(encodeURIComponent).join('/'), base).href;
  };
  const fail = (path: string, res: Response): InputError =>
    new InputError(`${url(path)}: ${res.status === 404 ? 'file not found' : `HTTP ${res.status} ${res.statusText}`.trim()}`);
  const get = async (path: string, init?: RequestInit): Promise<Response> => {
    try {
      return await fetchImpl(url(path), init);
    } catch (err) {
      throw new InputError(`${url(path)}: request failed (${(err as Error).message})`, { cause: err });
    }
  };
  /** From HEAD's Content-Length, else (no HEAD, or no length) from a one-byte range request's Content-Range. */
  const sizeOf = async (path: string): Promise<number> => {
    const head = await get(path, { method: 'HEAD' });
    if (!head.ok && head.status !== 405 && head.status !== 501) throw fail(path, head);
    const n = Number(head.headers.get('content-length'));
    if (head.ok && head.headers.has('content-length') && Number.isSafeInteger(n) && n >= 0) return n;
    const probe = await get(path, { headers: { Range: 'bytes=0-0' } });
    await probe.body?.cancel();
    if (!probe.ok) throw fail(path, probe);
    const total = parseContentRange(probe.headers.get('content-range'))?.[2];
    if (probe.status === 206 && total !== undefined && !Number.isNaN(total)) return total;
    const m = Number(probe.headers.get('content-length'));
    if (probe.status === 200 && probe.headers.has('content-length') && Number.isSafeInteger(m) && m >= 0) return m;
    throw new InputError(`${url(path)}: the server does not say the file's size (no Content-Length for HEAD, no Content-Range total for a range request)`);
  };
  const openFile = async (path: string): Promise<RandomAccessFile> => {
    const size = await sizeOf(path);
    const where = url(path);
    let whole: Uint8Array | undefined; // the file, once a server that ignores Range has sent it all
    let closed = false;
    const fetchRange = async (start: number, end: number): Promise<Uint8Array> => {
      const res = await get(path, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (res.status === 200) {
        notice(`${where}: the server ignored the Range request (HTTP 200 instead of 206), so the whole file (${size} bytes) is downloaded and held in memory`);
        const bytes = await readBody(res);
        if (bytes.length !== size) throw new InputError(`${where}: the server sent ${bytes.length} bytes but said the file has ${size}`);
        whole = bytes;
        return bytes.subarray(start, end);
      }
      if (res.status !== 206) throw fail(path, res);
      // A browser hides Content-Range from cross-origin answers unless the server exposes it: then only the length is checked.
      const header = res.headers.get('content-range');
      const range = parseContentRange(header);
      if (header !== null && (!range || range[0] !== start || range[1] !== end || (!Number.isNaN(range[2]) && range[2] !== size))) {
        await res.body?.cancel();
        throw new InputError(`${where}: asked for bytes ${start}-${end - 1}/${size}, the server answered Content-Range ${JSON.stringify(header)}`);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length !== end - start) throw new InputError(`${where}: asked for ${end - start} bytes at ${start}, the server sent ${bytes.length}`);
      return bytes;
    };
    return {
      size,
      async read(start, end) {
        if (closed) throw new InputError(`${where}: read after close`);
        checkRange(where, start, end, size);
        if (whole) return whole.subarray(start, end);
        if (end === start) return new Uint8Array(0);
        return fetchRange(start, end);
      },
      async close() {
        closed = true;
        whole = undefined;
      },
    };
  };
  return {
    describe: url,
    async exists(path) {
      try {
        const res = await fetchImpl(url(path), { method: 'HEAD' });
        if (res.status !== 405 && res.status !== 501) return res.ok;
        // Servers without HEAD: ask for one byte instead.
        const probe = await fetchImpl(url(path), { headers: { Range: 'bytes=0-0' } });
        await probe.body?.cancel();
        return probe.ok;
      } catch {
        return false;
      }
    },
    size: (path) => sizeOf(path),
    async read(path: string, onProgress?: ReadProgress) {
      const res = await get(path);
      if (!res.ok) throw fail(path, res);
      return readBody(res, onProgress);
    },
    async readRange(path, start, end) {
      const file = await openFile(path);
      return file.read(start, end);
    },
    open: openFile,
  };
}

/** The body of a response, streamed with progress when the platform gives a stream. */
async function readBody(res: Response, onProgress?: ReadProgress): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(declared) ? declared : NaN;
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.(loaded, total);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** "bytes 10-19/1234" -> [10, 20, 1234] (total NaN for "*"); null when it is not that form. */
function parseContentRange(header: string | null): [number, number, number] | null {
  const m = header === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]) + 1, m[3] === '*' ? NaN : Number(m[3])];
}
