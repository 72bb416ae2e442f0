import { existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative } from 'node:path';
import { sendFile } from '../build/demo-model-plugin.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

/** One request the server answered: what the page asked for and how it was answered. */
export interface ServedRequest {
  method: string;
  path: string;
  /** the Range header, when there was one */
  range?: string;
  status: number;
}

export interface StaticServer {
  url: string;
  /** every request so far, in order (tests check that weights came by Range) */
  readonly requests: readonly ServedRequest[];
  close(): Promise<void>;
}

export interface ServeStaticOptions {
  /** URL prefix ("/test-models/") -> folder served below it, next to the site root */
  mounts?: Record<string, string>;
  /** URL prefixes below which Range headers are ignored (200 with the whole file), like some static hosts */
  ignoreRangeBelow?: string[];
}

/** A loopback static file server for a built site (127.0.0.1, random port), with HEAD and Range like a real host. */
export async function serveStatic(root: string, options: ServeStaticOptions = {}): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts ?? {});
  const requests: ServedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range;
    res.on('finish', () => requests.push({ method: req.method ?? 'GET', path, ...(range ? { range } : {}), status: res.statusCode }));
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p)) ?? ['/', root];
    let file = join(dir, path.slice(prefix.length));
    if (relative(dir, file).startsWith('..')) {
      res.statusCode = 403;
      res.end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.statusCode = 404;
      res.end(`not found: ${path}`);
      return;
    }
    if (options.ignoreRangeBelow?.some((p) => path.startsWith(p))) delete req.headers.range;
    sendFile(req, res, file, TYPES[extname(file)]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
