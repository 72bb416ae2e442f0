import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';

/** The parts of models/xlora-demo the page loads (golden data and docs stay out of the site). */
const PARTS = ['base', 'experts', 'xlora'];
const TYPES: Record<string, string> = { '.json': 'application/json', '.safetensors': 'application/octet-stream' };

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : e.isFile() ? [p] : [];
  });
}

/** Serves one file with Content-Length, HEAD and single byte-range support (what urlFileSource uses). */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: string, contentType?: string): void {
  const size = statSync(file).size;
  const ext = file.slice(file.lastIndexOf('.'));
  res.setHeader('Content-Type', contentType ?? TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'no-cache');
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end) {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${size}`);
      res.end();
      return;
    }
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  res.setHeader('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}

/**
 * Puts the bundled demo model at `<site>/models/xlora-demo/`: served from the repository folder by `vite dev`,
 * copied into dist by `vite build` (so `vite preview` and any static host serve it too).
 */
export function demoModelPlugin(modelDir: string): Plugin {
  const prefix = '/models/xlora-demo/';
  return {
    name: 'xlora-demo-model',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (!path.startsWith(prefix)) return next();
        const rel = path.slice(prefix.length);
        const file = join(modelDir, rel);
        const inside = !relative(modelDir, file).startsWith('..') && PARTS.includes(rel.split('/')[0]);
        if (!inside || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          res.end(`not found: ${path}`);
          return;
        }
        sendFile(req, res, file);
      });
    },
    generateBundle() {
      for (const part of PARTS) {
        for (const file of listFiles(join(modelDir, part))) {
          const fileName = `models/xlora-demo/${relative(modelDir, file).split(sep).join('/')}`;
          this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
        }
      }
    },
  };
}
