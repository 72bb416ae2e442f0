import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The PEFT fixtures, served under /fixtures/ so pages load them over HTTP like a user's model. */
const FIXTURES = fileURLToPath(new URL('../../../../test-data/peft-xlora/', import.meta.url));

/**
 * Bundles a browser entry (esbuild) and serves it with a page from 127.0.0.1 on a random port, plus the PEFT
 * fixture files under /fixtures/.
 */
export async function serveBrowserTest(entry = 'entry.ts'): Promise<{ url: string; close: () => Promise<void> }> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(`./${entry}`, import.meta.url))],
    external: ['node:*'], // Node-only loaders are imported lazily and never called in the page
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles[0].text;
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>xlora webgpu ops</title><style>' +
    'body{font:13px sans-serif} .bad{color:#b00} .ok{color:#070} td{padding:1px 8px}</style></head>' +
    '<body><p>running…</p><script type="module" src="/entry.js"></script></body></html>';
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/fixtures/')) {
      const rel = normalize(decodeURIComponent(req.url.slice('/fixtures/'.length)));
      if (rel.startsWith('..')) {
        res.writeHead(403);
        res.end();
        return;
      }
      readFile(FIXTURES + rel).then((body) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      }, () => {
        res.writeHead(404);
        res.end();
      });
    } else if (req.url === '/entry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
    } else if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
