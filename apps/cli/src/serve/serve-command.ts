import { basename } from 'node:path';
import { InputError } from '@xlora/core';
import { ServingEngine, XLoraModel } from '@xlora/model';
import { startBackend } from '../lib/backend-choice.js';
import { expertNames } from '../lib/expert-view.js';
import { loadFromArgs, type ModelArgs } from '../lib/load.js';
import { fromUser } from '../lib/paths.js';
import { createServeApp } from './server.js';

export interface ServeArgs extends ModelArgs {
  backend: string;
  ep?: string;
  allowFallback?: boolean;
  host: string;
  port: number;
  apiKey?: string;
  modelName?: string;
  maxBatch: number;
  maxQueue: number;
  maxGraphs: number;
  maxBodyBytes: number;
  requestTimeout: number;
  shutdownTimeout: number;
}

/** What `serve` is once listening: for tests and embedding. */
export interface RunningServer {
  url: string;
  /** stop accepting, finish or cancel in-flight work within --shutdown-timeout, free everything */
  close(): Promise<void>;
}

/** Loads the model, starts the engine and the HTTP server; resolves once it listens. */
export async function startServe(args: ServeArgs, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<RunningServer> {
  const apiKey = args.apiKey ?? process.env.XLORA_API_KEY;
  if (apiKey !== undefined && apiKey.length === 0) throw new InputError('--api-key (or XLORA_API_KEY) is empty: give a key, or leave it unset to serve without one');
  const backend = await startBackend(args.backend, { ep: args.ep, allowFallback: args.allowFallback });
  try {
    const loaded = await loadFromArgs(args, backend);
    // the server's own model: room for the step graphs of several knob sets at once (each compiled once)
    const model = new XLoraModel(loaded.parts, backend, { maxCompiledGraphs: args.maxGraphs });
    const engine = new ServingEngine(model, { maxBatch: args.maxBatch, maxQueue: args.maxQueue });
    const id = args.modelName ?? basename(fromUser(args.xlora));
    const layerwise = model.parts.xloraConfig.layerwiseScalings;
    const app = createServeApp({
      engine, tokenizer: model.parts.tokenizer ?? null, context: model.config.maxPositionEmbeddings,
      card: { id, created: Math.floor(Date.now() / 1000), experts: expertNames(model.parts.xloraConfig.adapters) },
      layers: model.numLayers, scalingRows: layerwise ? model.numLayers : 1,
      apiKey, maxBodyBytes: args.maxBodyBytes, requestTimeoutSeconds: args.requestTimeout, log,
    });
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', reject);
      app.server.listen(args.port, args.host, () => resolve());
    });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : args.port;
    const url = `http://${args.host.includes(':') ? `[${args.host}]` : args.host}:${port}`;
    log(`xlora serve: ${id} (${model.numExperts} experts, ${model.numLayers} X-LoRA layers) on ${backend.info.name} (${backend.info.device}), ${url}/v1, max batch ${args.maxBatch}${apiKey ? ', API key required' : ''}`);
    let closing: Promise<void> | null = null;
    return {
      url,
      close: () => (closing ??= (async () => {
        app.draining();
        const stopped = new Promise<void>((resolve) => app.server.close(() => resolve())); // no new connections
        const deadline = Date.now() + args.shutdownTimeout * 1000;
        await engine.close(args.shutdownTimeout * 1000); // queued and running requests finish, or are cancelled at the deadline
        // their responses still have their last chunks, usage and [DONE] to write: wait for them (within the deadline)
        await Promise.race([app.idle(), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1000).unref())]);
        app.server.closeIdleConnections();
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        app.server.closeAllConnections();
        model.dispose();
        backend.dispose();
      })()),
    };
  } catch (err) {
    backend.dispose();
    throw err;
  }
}

/** xlora serve: runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function serveCommand(args: ServeArgs): Promise<void> {
  // the handlers come first: a signal that arrives while the server starts must not kill the process
  let signalled: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => (signalled = resolve));
  process.once('SIGTERM', () => signalled('SIGTERM'));
  process.once('SIGINT', () => signalled('SIGINT'));
  const running = await startServe(args);
  const name = await signal;
  process.stderr.write(`xlora serve: ${name}: finishing in-flight requests (at most ${args.shutdownTimeout} s)\n`);
  await running.close();
  process.exitCode = 0;
}
