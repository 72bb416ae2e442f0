import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HfTextTokenizer, ServingEngine } from '@xlora/model';
import { ApiError, toApiError } from './api-error.js';
import { hasApiKey } from './auth.js';
import { ServeMetrics } from './metrics.js';
import { readJsonBody } from './read-json-body.js';
import { runCompletion, type ModelCard, type RunSummary } from './run-completion.js';
import { parseServeRequest } from './serve-request.js';
import { SseWriter } from './sse.js';

export interface ServeAppOptions {
  engine: ServingEngine;
  card: ModelCard;
  tokenizer: HfTextTokenizer | null;
  /** max_position_embeddings */
  context: number;
  /** X-LoRA layers L, and rows of a token's scalings (L when the classifier is layerwise, else 1) */
  layers: number;
  scalingRows: number;
  /** Bearer key every /v1 request must carry (none: open) */
  apiKey?: string;
  maxBodyBytes: number;
  requestTimeoutSeconds: number;
  /** one line per request */
  log: (line: string) => void;
}

export interface ServeApp {
  server: Server;
  metrics: ServeMetrics;
  /** /health answers 503 from now on (shutting down) */
  draining: () => void;
  /** Resolves once no request is being answered (every response ended or its client gone). */
  idle: () => Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const notFound = (what: string) => new ApiError(404, what, 'invalid_request_error', null, 'not_found');

/** The OpenAI-compatible HTTP server over one engine (node:http: five routes, SSE and disconnects need nothing more). */
export function createServeApp(o: ServeAppOptions): ServeApp {
  const metrics = new ServeMetrics();
  let draining = false;
  const modelObject = { id: o.card.id, object: 'model', created: o.card.created, owned_by: 'xlora' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<{ status: number; summary?: RunSummary }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') {
      json(res, draining ? 503 : 200, { status: draining ? 'shutting_down' : 'ok', ...o.engine.stats() });
      return { status: draining ? 503 : 200 };
    }
    if (path === '/metrics' && method === 'GET') {
      const text = metrics.text(o.engine.stats(), performance.now());
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return { status: 200 };
    }
    if (!path.startsWith('/v1/')) throw notFound(`no route ${method} ${path}`);
    if (o.apiKey !== undefined && !hasApiKey(req.headers.authorization, o.apiKey)) {
      throw new ApiError(401, req.headers.authorization ? 'the API key is not valid' : 'this server needs an API key: send "Authorization: Bearer <key>"', 'invalid_request_error', null, 'invalid_api_key');
    }
    if (path === '/v1/models' && method === 'GET') {
      json(res, 200, { object: 'list', data: [modelObject] });
      return { status: 200 };
    }
    if (path.startsWith('/v1/models/') && method === 'GET') {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (id !== o.card.id) throw new ApiError(404, `The model '${id}' does not exist (this server serves '${o.card.id}')`, 'invalid_request_error', 'model', 'model_not_found');
      json(res, 200, modelObject);
      return { status: 200 };
    }
    const kind = path === '/v1/completions' ? 'completion' : path === '/v1/chat/completions' ? 'chat' : null;
    if (!kind) throw notFound(`no route ${method} ${path}`);
    if (method !== 'POST') throw new ApiError(405, `${path} takes POST, not ${method}`, 'invalid_request_error', null, 'method_not_allowed');
    const body = await readJsonBody(req, o.maxBodyBytes);
    if (typeof body.model === 'string' && body.model !== o.card.id) {
      throw new ApiError(404, `The model '${body.model}' does not exist (this server serves '${o.card.id}')`, 'invalid_request_error', 'model', 'model_not_found');
    }
    const request = parseServeRequest(kind, body, { tokenizer: o.tokenizer, context: o.context });
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; abort.abort(); }, o.requestTimeoutSeconds * 1000);
    const onClose = () => { if (!res.writableFinished) abort.abort(); };
    res.on('close', onClose);
    const sse = request.stream ? new SseWriter(res) : null;
    try {
      const summary = await runCompletion(request, {
        engine: o.engine, card: o.card, metrics, signal: abort.signal, timedOut: () => timedOut, timeoutSeconds: o.requestTimeoutSeconds,
        arrived: performance.now(), format: { tokenizer: o.tokenizer, layers: o.layers, scalingRows: o.scalingRows },
      }, sse, (reply) => json(res, 200, reply));
      return { status: abort.signal.aborted && !timedOut ? 499 : 200, summary };
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
    }
  }

  let active = 0;
  const onIdle: (() => void)[] = [];
  const settled = () => {
    if (--active === 0) for (const f of onIdle.splice(0)) f();
  };
  const server = createServer((req, res) => {
    const start = performance.now();
    active++;
    let counted = true;
    const done = () => {
      if (counted) {
        counted = false;
        settled();
      }
    };
    res.once('finish', done);
    res.once('close', done);
    handle(req, res).catch((err: unknown) => {
      const e = toApiError(err);
      if (!res.headersSent) json(res, e.status, e.body(), e.headers);
      else if (!res.writableEnded) {
        // a stream already started: the error as its last event
        res.write(`data: ${JSON.stringify(e.body())}\n\n`);
        res.end('data: [DONE]\n\n');
      }
      return { status: e.status, error: e.message };
    }).then((r: { status: number; summary?: RunSummary; error?: string }) => {
      metrics.request(r.status);
      const ms = (performance.now() - start).toFixed(0);
      const s = r.summary;
      o.log(`${req.method} ${req.url} ${r.status} ${ms}ms${s ? ` prompt=${s.promptTokens} completion=${s.completionTokens} finish=${s.finishReasons.join(',')}` : ''}${r.error ? ` error=${JSON.stringify(r.error)}` : ''}`);
    }).catch(() => undefined);
  });
  server.requestTimeout = 0; // generation may stream for longer than node's default; the per-request limit is ours
  const idle = () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => onIdle.push(resolve)));
  return { server, metrics, draining: () => { draining = true; }, idle };
}
