import { InputError } from '@xlora/core';
import type { FileSource, ReadProgress } from './file-source.js';
import { normalizePath } from './posix-path.js';

type Fetch = typeof fetch;

/** Files served over HTTP(S) below `baseUrl` (browser or Node 18+). Relative paths resolve like URLs ("..", "/"). */
export function urlFileSource(baseUrl: string, fetchImpl: Fetch = (...args) => globalThis.fetch(...args)): FileSource {
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
    async size(path) {
      const res = await get(path, { method: 'HEAD' });
      if (!res.ok) throw fail(path, res);
      const n = Number(res.headers.get('content-length'));
      return Number.isFinite(n) && res.headers.has('content-length') ? n : NaN;
    },
    async read(path: string, onProgress?: ReadProgress) {
      const res = await get(path);
      if (!res.ok) throw fail(path, res);
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
    },
    async readRange(path, start, end) {
      if (end <= start) return new Uint8Array(0);
      const res = await get(path, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (!res.ok) throw fail(path, res);
      const bytes = new Uint8Array(await res.arrayBuffer());
      // A server that ignores Range answers 200 with the whole file.
      return res.status === 206 ? bytes : bytes.subarray(start, end);
    },
  };
}
