// Test helpers (not part of the command): the demo model with a chat template, a started server on 127.0.0.1.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe, type RunningServer, type ServeArgs } from './serve-command.js';

export const DEMO = fileURLToPath(new URL('../../../../models/xlora-demo', import.meta.url));
export const CHAT_TEMPLATE = '{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';

/** A copy of the demo model whose tokenizer_config.json has CHAT_TEMPLATE. */
export function demoWithChatTemplate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xlora-serve-'));
  cpSync(DEMO, dir, { recursive: true });
  const cfgPath = join(dir, 'base/tokenizer_config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), chat_template: CHAT_TEMPLATE }));
  return dir;
}

export const serveArgs = (dir: string, extra: Partial<ServeArgs> = {}): ServeArgs => ({
  model: join(dir, 'base'), xlora: join(dir, 'xlora'), adapterRoot: dir, backend: 'cpu', host: '127.0.0.1', port: 0,
  maxBatch: 16, maxQueue: 64, maxGraphs: 8, maxBodyBytes: 1 << 20, requestTimeout: 600, shutdownTimeout: 30, ...extra,
});

export async function startTestServer(dir: string, extra: Partial<ServeArgs> = {}): Promise<RunningServer & { logs: string[] }> {
  const logs: string[] = [];
  const s = await startServe(serveArgs(dir, extra), (l) => logs.push(l));
  return { ...s, logs };
}
