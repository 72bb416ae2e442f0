import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoWithChatTemplate } from './test-server.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const CLI_DIR = fileURLToPath(new URL('../..', import.meta.url));

describe('xlora serve (the command)', () => {
  it('listens on loopback, streams, and on SIGTERM finishes the running request and exits 0', { timeout: 180_000 }, async () => {
    const dir = demoWithChatTemplate();
    // one node process (tsx as a loader, not the tsx binary, which relays signals to a child process of its own)
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--model', join(dir, 'base'), '--xlora', join(dir, 'xlora'), '--adapter-root', dir, '--port', '0',
      // a deadline far past what 40 tokens take even on a loaded CI machine: this test is about finishing them
      '--shutdown-timeout', '150'], { cwd: CLI_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'xlora', prompt: 'abc', max_tokens: 40, temperature: 0, stream: true }) });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let body = '';
    const first = await reader.read();
    body += new TextDecoder().decode(first.value);
    child.kill('SIGTERM');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += new TextDecoder().decode(value);
    }
    expect(await exited).toBe(0);
    const events = body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    expect(chunks.map((c) => c.choices[0].text).join('')).toHaveLength(40);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    expect(stderr).toMatch(/SIGTERM: finishing in-flight requests/);
    expect(stderr).toMatch(/POST \/v1\/completions 200 \d+ms prompt=3 completion=40 finish=length/);
  });
});
