import { InvalidArgumentError, type Command, type Option } from 'commander';
import { serveCommand } from './serve-command.js';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

/** The option builders main.ts shares between commands. */
export interface SharedOptions {
  modelOptions: (cmd: Command) => Command;
  backendOption: () => Option;
  epOption: () => Option;
  fallbackOption: () => Option;
}

/** `xlora serve`: an OpenAI-compatible server with continuous batching. */
export function registerServeCommand(program: Command, shared: SharedOptions): void {
  shared.modelOptions(program.command('serve').description('OpenAI-compatible HTTP server (completions, chat, SSE streaming, per-token scalings) with continuous batching'))
    .addOption(shared.backendOption())
    .addOption(shared.epOption())
    .addOption(shared.fallbackOption())
    .option('--host <address>', 'address to listen on (loopback by default; 0.0.0.0 exposes it to the network)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', int('--port', 0, 65535), 8000)
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" on /v1 (default: $XLORA_API_KEY; none: open)')
    .option('--model-name <id>', 'model id clients ask for (default: the --xlora folder name)')
    .option('--max-batch <n>', 'sequences decoded together at most', int('--max-batch', 1, 4096), 16)
    .option('--max-queue <n>', 'requests waiting at most; beyond it: 429 with Retry-After', int('--max-queue', 1, 1_000_000), 64)
    .option('--max-graphs <n>', 'step graphs kept compiled (knob sets in use, exact and frozen)', int('--max-graphs', 2, 1024), 8)
    .option('--max-body-bytes <n>', 'request body limit (413 beyond)', int('--max-body-bytes', 1024), 1 << 20)
    .option('--request-timeout <s>', 'time limit per request in seconds (408 beyond)', int('--request-timeout', 1), 600)
    .option('--shutdown-timeout <s>', 'on SIGTERM: seconds in-flight requests get to finish before they are cancelled', int('--shutdown-timeout', 0), 30)
    .action((opts) => serveCommand(opts));
}
