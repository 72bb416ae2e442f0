/**
 * Load test of `xlora serve` (issue 13): the server runs as its own process (the CLI), this process is the client.
 *
 *   load:       64 concurrent streamed requests of mixed prompt/answer lengths on the demo model. Every request must
 *               complete (one finish chunk per choice, then [DONE]), its tokens must equal the same request served
 *               alone (greedy, by token ids) and its usage must count exactly the tokens streamed.
 *   throughput: the `small` bench model, 1/4/16/64 concurrent greedy streams per backend: aggregate decode tokens/s
 *               (wall clock, and per CPU-second of the server process, which is what a busy machine cannot skew).
 *
 *   node --import tsx src/serve-load.ts [--part load,throughput] [--backends cpu,onnx-cpu] [--streams 1,4,16,64]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { presetModel } from './model-cache.js';
import { PRESETS } from './presets.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const REPO = join(here, '..');
const CLI_MAIN = join(REPO, 'apps/cli/src/main.ts');
const DEMO = join(REPO, 'models/xlora-demo');
const log = (s: string) => process.stderr.write(`${s}\n`);
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** --backend flags of the CLI per bench backend name */
const SERVE_BACKENDS: Record<string, string[]> = { cpu: ['--backend', 'cpu'], 'onnx-cpu': ['--backend', 'cuda-onnx', '--ep', 'cpu'] };

interface Server {
  url: string;
  child: ChildProcess;
  /** user + system CPU seconds of the server process so far (Linux /proc) */
  cpuSeconds(): number;
  stop(): Promise<number | null>;
}

async function startServer(model: { base: string; xlora: string; adapterRoot: string }, backend: string, maxBatch: number): Promise<Server> {
  const args = [CLI_MAIN, 'serve', '--model', model.base, '--xlora', model.xlora, '--adapter-root', model.adapterRoot, '--port', '0',
    '--model-name', 'bench', '--max-batch', String(maxBatch), '--max-queue', '1024', ...SERVE_BACKENDS[backend]];
  // node itself (not the tsx launcher, which would run the server in a grandchild) so /proc/<pid> is the server
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: join(REPO, 'apps/cli'), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`xlora serve exited (${code}):\n${stderr}`)));
  });
  const ticks = 100; // USER_HZ
  return {
    url, child,
    cpuSeconds: () => {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / ticks; // utime, stime
    },
    stop: () => new Promise((resolve) => { child.once('exit', (code) => resolve(code)); child.kill('SIGTERM'); }),
  };
}

interface StreamResult {
  ids: number[];
  /** ms since the load started: request sent, first token, last token */
  sent: number;
  first: number;
  last: number;
  /** ms since the load started of every token */
  times: number[];
  finishChunks: number;
  usageTokens: number;
  done: boolean;
}

/** One streamed completion of token ids; reads the SSE stream to [DONE]. */
async function streamCompletion(url: string, prompt: number[], maxTokens: number, t0: number, xlora: Record<string, unknown> = {}): Promise<StreamResult> {
  const sent = performance.now() - t0;
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bench', prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true }, xlora: { ...xlora, return_token_ids: true } }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const r: StreamResult = { ids: [], sent, first: 0, last: 0, times: [], finishChunks: 0, usageTokens: -1, done: false };
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.slice('data: '.length);
      if (data === '[DONE]') { r.done = true; continue; }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) r.usageTokens = chunk.usage.completion_tokens;
      for (const c of chunk.choices) {
        const ids: number[] = c.xlora?.token_ids ?? [];
        if (ids.length) {
          const now = performance.now() - t0;
          if (r.ids.length === 0) r.first = now;
          r.last = now;
          r.ids.push(...ids);
          for (const _ of ids) r.times.push(now);
        }
        if (c.finish_reason !== null) r.finishChunks++;
      }
    }
  }
  return r;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

interface RunStats {
  streams: number;
  /** freeze_scalings_after of every request, when set */
  frozenAfter?: number;
  tokens: number;
  wallS: number;
  cpuS: number;
  /** all generated tokens / wall time of the whole run */
  aggregateTokS: number;
  /**
   * steady decode: tokens of all streams while every stream is decoding (from the last stream's first token to the
   * first stream's last token: no prefill in between) / that time
   */
  decodeTokS: number;
  /** generated tokens per CPU-second of the server over the whole run (prefills included) */
  tokPerCpuS: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  perRequestTokSP50: number;
}

async function concurrent(server: Server, requests: { prompt: number[]; maxTokens: number }[], xlora: Record<string, unknown> = {}) {
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  const results = await Promise.all(requests.map((r) => streamCompletion(server.url, r.prompt, r.maxTokens, t0, xlora)));
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = server.cpuSeconds() - cpu0;
  const tokens = results.reduce((n, r) => n + r.ids.length, 0);
  const from = Math.max(...results.map((r) => r.first)), to = Math.min(...results.map((r) => r.last));
  const inWindow = results.reduce((n, r) => n + r.times.filter((t) => t > from && t <= to).length, 0);
  const ttft = results.map((r) => r.first - r.sent);
  const stats: RunStats = {
    streams: requests.length, tokens, wallS, cpuS, aggregateTokS: tokens / wallS, decodeTokS: inWindow / ((to - from) / 1000),
    tokPerCpuS: tokens / cpuS, ttftP50Ms: percentile(ttft, 50), ttftP99Ms: percentile(ttft, 99),
    perRequestTokSP50: percentile(results.map((r) => (r.ids.length - 1) / ((r.last - r.first) / 1000)), 50),
  };
  return { results, stats };
}

/** Checks nothing was lost or duplicated: [DONE], one finish chunk, usage = tokens streamed = tokens asked. */
function completeness(results: StreamResult[], requests: { maxTokens: number }[]): string[] {
  const problems: string[] = [];
  results.forEach((r, i) => {
    if (!r.done) problems.push(`request ${i}: no [DONE]`);
    if (r.finishChunks !== 1) problems.push(`request ${i}: ${r.finishChunks} finish chunks`);
    if (r.usageTokens !== r.ids.length) problems.push(`request ${i}: usage says ${r.usageTokens} tokens, ${r.ids.length} streamed`);
    if (r.ids.length !== requests[i].maxTokens) problems.push(`request ${i}: ${r.ids.length} tokens, asked ${requests[i].maxTokens}`);
  });
  return problems;
}

/** Greedy results under load equal the same requests served alone (token ids). */
function sameAsAlone(results: StreamResult[], alone: number[][]): string[] {
  return results.flatMap((r, i) => {
    if (JSON.stringify(r.ids) === JSON.stringify(alone[i])) return [];
    const at = r.ids.findIndex((id, k) => id !== alone[i][k]);
    return [`request ${i}: tokens differ from the request served alone from token ${at}`];
  });
}

/** Deterministic mixed requests: prompt lengths 4..40 tokens, answers 8..64 tokens (no eos: the demo has none). */
function mixedRequests(count: number, vocab: number, maxPrompt: number, maxTokens: number) {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: count }, () => ({
    prompt: Array.from({ length: 4 + Math.floor(rnd() * (maxPrompt - 3)) }, () => 32 + Math.floor(rnd() * (Math.min(vocab, 127) - 32))),
    maxTokens: 8 + Math.floor(rnd() * (maxTokens - 7)),
  }));
}

async function loadPart(backend: string) {
  const server = await startServer({ base: join(DEMO, 'base'), xlora: join(DEMO, 'xlora'), adapterRoot: DEMO }, backend, 64);
  try {
    const requests = mixedRequests(64, 256, 40, 64);
    await streamCompletion(server.url, [65, 66], 2, performance.now()); // compile
    const alone: number[][] = [];
    for (const r of requests) alone.push((await streamCompletion(server.url, r.prompt, r.maxTokens, performance.now())).ids);
    const { results, stats } = await concurrent(server, requests);
    const problems = [...completeness(results, requests), ...sameAsAlone(results, alone)];
    log(`load (${backend}, demo model): 64 streams, ${stats.tokens} tokens in ${stats.wallS.toFixed(1)} s: ${problems.length ? `${problems.length} PROBLEMS\n  ${problems.join('\n  ')}` : 'all complete, all equal alone'}`);
    return { backend, stats, problems, exitCode: await server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function throughputPart(backend: string, streams: number[], newTokens: number, freezeAfter?: number) {
  const spec = await presetModel(PRESETS.small, 'safetensors', join(here, '.models'));
  const server = await startServer({ base: spec.base, xlora: spec.xlora!, adapterRoot: spec.adapterRoot! }, backend, Math.max(...streams));
  const rows: RunStats[] = [];
  try {
    const prompt = (i: number) => Array.from({ length: 16 }, (_, k) => (i * 131 + k * 17) % PRESETS.small.vocab);
    await streamCompletion(server.url, prompt(0), 2, performance.now()); // compile
    // the streams table, then (with --freeze) 1 and 16 streams whose scalings freeze: they must still batch
    const runs: { n: number; freezeAfter?: number }[] = [...streams.map((n) => ({ n })), ...(freezeAfter ? [1, 16].map((n) => ({ n, freezeAfter })) : [])];
    for (const { n, freezeAfter: f } of runs) {
      const requests = Array.from({ length: n }, (_, i) => ({ prompt: prompt(i), maxTokens: newTokens }));
      const { results, stats } = await concurrent(server, requests, f ? { freeze_scalings_after: f } : {});
      const problems = completeness(results, requests);
      if (problems.length) throw new Error(problems.join('\n'));
      rows.push(f ? { ...stats, frozenAfter: f } : stats);
      log(`throughput (${backend}, small): ${n} streams${f ? ` frozen after ${f}` : ''}: decode ${stats.decodeTokS.toFixed(1)} tok/s wall, ${stats.tokPerCpuS.toFixed(1)} tok/CPU-s, ttft p50 ${stats.ttftP50Ms.toFixed(0)} ms`);
    }
    const exitCode = await server.stop();
    return { backend, rows, exitCode };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

function markdown(load: Awaited<ReturnType<typeof loadPart>>[], throughput: Awaited<ReturnType<typeof throughputPart>>[]): string {
  const f = (v: number, d = 1) => v.toFixed(d);
  const lines: string[] = [];
  for (const t of throughput) {
    const baseOf = (r: RunStats) => t.rows.find((b) => b.streams === 1 && b.frozenAfter === r.frozenAfter);
    lines.push(`### ${t.backend}, small model (greedy, 16-token prompts)`, '',
      '| streams | steady decode tok/s (wall) | × 1 stream | tok/CPU-s (all) | × 1 stream | aggregate tok/s (wall) | TTFT p50 / p99 ms | per-request tok/s p50 |',
      '|---|---|---|---|---|---|---|---|');
    for (const r of t.rows) {
      const base = baseOf(r);
      lines.push(`| ${r.streams}${r.frozenAfter ? ` (frozen after ${r.frozenAfter})` : ''} | ${f(r.decodeTokS)} | ${base ? f(r.decodeTokS / base.decodeTokS, 2) : '-'} | ${f(r.tokPerCpuS)} | ${base ? f(r.tokPerCpuS / base.tokPerCpuS, 2) : '-'} | ${f(r.aggregateTokS)} | ${f(r.ttftP50Ms, 0)} / ${f(r.ttftP99Ms, 0)} | ${f(r.perRequestTokSP50)} |`);
    }
    lines.push('');
  }
  for (const l of load) {
    const s = l.stats;
    lines.push(`### load test, ${l.backend}, demo model: 64 concurrent streams of mixed lengths`, '',
      `${l.problems.length ? `**${l.problems.length} problems**: ${l.problems.join('; ')}` : 'every request completed, exactly one finish chunk and [DONE] each, usage = tokens streamed, tokens equal to the request served alone'}; server exit code after SIGTERM ${l.exitCode}`, '',
      `TTFT p50 ${f(s.ttftP50Ms, 0)} ms, p99 ${f(s.ttftP99Ms, 0)} ms; aggregate ${f(s.aggregateTokS)} tok/s (${s.tokens} tokens in ${f(s.wallS)} s); per-request decode p50 ${f(s.perRequestTokSP50)} tok/s`, '');
  }
  return lines.join('\n');
}

async function main() {
  const opts = new Command('serve-load')
    .option('--part <list>', 'load, throughput', 'load,throughput')
    .option('--backends <list>', `comma-separated: ${Object.keys(SERVE_BACKENDS).join(', ')}`, 'cpu,onnx-cpu')
    .option('--streams <list>', 'concurrent streams for the throughput table', '1,4,16,64')
    .option('--new-tokens <n>', 'tokens per stream in the throughput runs', '32')
    .option('--freeze <n>', 'also run 1 and 16 streams with xlora.freeze_scalings_after = n')
    .option('--out <dir>', 'where serve-load.json and serve-load.md go', join(here, 'results'))
    .parse(process.argv).opts<{ part: string; backends: string; streams: string; newTokens: string; freeze?: string; out: string }>();
  const parts = list(opts.part);
  const backends = list(opts.backends);
  for (const b of backends) if (!SERVE_BACKENDS[b]) throw new Error(`unknown backend "${b}" (known: ${Object.keys(SERVE_BACKENDS).join(', ')})`);
  const load = [];
  const throughput = [];
  if (parts.includes('load')) for (const b of backends) load.push(await loadPart(b));
  if (parts.includes('throughput')) for (const b of backends) throughput.push(await throughputPart(b, list(opts.streams).map(Number), Number(opts.newTokens), opts.freeze ? Number(opts.freeze) : undefined));
  await mkdir(opts.out, { recursive: true });
  const md = markdown(load, throughput);
  await writeFile(join(opts.out, 'serve-load.json'), JSON.stringify({ load, throughput }, null, 2));
  await writeFile(join(opts.out, 'serve-load.md'), md);
  process.stdout.write(`${md}\n`);
  if (load.some((l) => l.problems.length || l.exitCode !== 0) || throughput.some((t) => t.exitCode !== 0)) process.exitCode = 1;
}

await main();
