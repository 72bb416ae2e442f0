import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Bundles entry.ts for the browser (esbuild) and serves it with a page from 127.0.0.1 on a random port. */
export async function serveBrowserTest(): Promise<{ url: string; close: () => Promise<void> }> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./entry.ts', import.meta.url))],
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
    if (req.url === '/entry.js') {
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
