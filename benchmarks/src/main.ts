import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BENCH_BACKENDS } from './backends.js';
import { customModel } from './custom-model.js';
import { DEFAULT_ORT_THREADS, WEBGPU_MAX_PARAMETERS } from './flags.js';
import { llamaCppContextSize } from './llama-cpp.js';
import { BENCH_FORMATS, presetModel, type BenchFormat } from './model-cache.js';
import { BENCH_MODES, type BenchMode } from './modes.js';
import { PRESETS, parameterCount, type ModelPreset } from './presets.js';
import { memoryRatio, targetRatios, toMarkdown, type BenchReport, type BenchRow, type SkippedRun } from './report.js';
import type { ChildJob, ChildResult, ModelSpec } from './run-spec.js';

/** Formats per preset unless --formats says otherwise (issue 10's table). */
const DEFAULT_FORMATS: Record<string, readonly BenchFormat[]> = {
  tinyllama: ['safetensors', 'q8_0', 'q4_0'], paper: ['q4_k'],
};
/** Old run names of this harness, kept as aliases. */
const PRESET_ALIASES: Record<string, string> = { quick: 'small', full: 'small' };

const here = fileURLToPath(new URL('..', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
const MB = 1 << 20;
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

interface Options {
  preset: string; formats?: string; model?: string; xlora?: string; adapterRoot?: string; backends: string; modes: string;
  promptTokens: string; newTokens?: string; warmup?: string; threads: string; llamaCpp: boolean; llamaCppThreads: string;
  dtype?: string; recomputeSamples: string; timeoutS: string; out: string;
}

function intOption(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** Runs one job in a fresh node process (so its peak RSS is its own) and reads its result file. */
function runChild(job: ChildJob, timeoutS: number): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'xlora-bench-job-'));
  const out = join(dir, 'result.json');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'src', 'bench-child.ts'), JSON.stringify(job), out], {
    cwd: here, stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let result: ChildResult;
      try {
        result = JSON.parse(readFileSync(out, 'utf8')) as ChildResult;
      } catch {
        const why = signal === 'SIGKILL' ? `killed after the ${timeoutS} s limit (or for memory)` : `exited with ${signal ?? code} before writing a result`;
        result = { backendLabel: job.backend, device: '', loadS: 0, rssAfterLoadMB: 0, modes: [], notes: [], error: why };
      }
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
}

/** KV-cache bytes at the end of a run: ours keep f32 K and V per layer and pass (X-LoRA modes: 2 passes). */
function ourKvMB(m: ModelSpec, mode: string, tokens: number): number {
  const passes = mode.startsWith('xlora') ? 2 : 1;
  return (passes * m.layers * 2 * m.kvHeads * m.headDim * tokens * 4) / MB;
}

function rowsOf(m: ModelSpec, job: ChildJob, r: ChildResult): BenchRow[] {
  const llama = job.backend === 'llama-cpp';
  return r.modes.map((mode) => {
    const diskMB = (m.baseBytes + (mode.mode === 'base' ? 0 : m.adapterBytes)) / MB;
    const kvMB = llama
      ? (m.layers * 2 * m.kvHeads * m.headDim * llamaCppContextSize(mode.promptTokens, mode.newTokens) * 2) / MB
      : ourKvMB(m, mode.mode, mode.promptTokens + mode.newTokens);
    const formats = r.weightFormats ? [`backend computes from ${r.weightFormats.join('/')} (others dequantized at compile)`] : [];
    return {
      preset: m.preset, format: m.format, backend: r.backendLabel, device: r.device, mode: mode.mode,
      promptTokens: mode.promptTokens, newTokens: mode.newTokens, diskMB, loadS: r.loadS,
      timeToFirstTokenMs: mode.timeToFirstTokenMs, prefillTokensPerS: mode.prefillTokensPerS,
      decodeTokensPerS: mode.decodeTokensPerS, decodeMsPerToken: mode.decodeMsPerToken, peakRssMB: mode.peakRssMB,
      kvMB, memoryRatio: memoryRatio(mode.peakRssMB, diskMB, kvMB),
      ...(mode.dispatchesPerDecodeToken !== undefined ? { dispatchesPerDecodeToken: mode.dispatchesPerDecodeToken } : {}),
      notes: [...formats, ...r.notes],
    };
  });
}

async function main(): Promise<void> {
  const opts = new Command('bench')
    .description('X-LoRA benchmarks on generated presets or any base + X-LoRA checkpoint, each (model, format, backend) in its own process')
    .option('--preset <list>', `comma-separated presets: ${Object.keys(PRESETS).join(', ')}`, 'small')
    .option('--formats <list>', `comma-separated storage formats: ${BENCH_FORMATS.join(', ')} (safetensors: F32 for tiny/small/medium, BF16 shards for tinyllama/paper; default: tinyllama safetensors,q8_0,q4_0; paper q4_k; others safetensors)`)
    .option('--model <path>', 'a base model folder or .gguf file instead of the presets')
    .option('--xlora <dir>', 'the X-LoRA checkpoint for --model (its experts are the ones it names)')
    .option('--adapter-root <dir>', "folder the checkpoint's relative expert paths resolve against (default: the working directory, as PEFT)")
    .option('--backends <list>', `comma-separated: ${Object.keys(BENCH_BACKENDS).join(', ')}`, 'cpu,onnx-cpu')
    .option('--modes <list>', `comma-separated: ${BENCH_MODES.join(', ')}`, 'base,xlora')
    .option('--prompt-tokens <n>', 'prompt length', '16')
    .option('--new-tokens <n>', 'new tokens per timed run (default per preset: 128 small/medium, 16 tinyllama, 4 paper)')
    .option('--warmup <n>', 'untimed warm-up tokens per mode (default 8; 2 on tinyllama/paper)')
    .option('--threads <n>', `ORT intra-op threads (default ${DEFAULT_ORT_THREADS}: fastest here)`, String(DEFAULT_ORT_THREADS))
    .option('--llama-cpp', 'also run node-llama-cpp on every GGUF file (base decode)', false)
    .option('--llama-cpp-threads <n>', 'llama.cpp threads', '1')
    .option('--dtype <format>', 'quantize the base on load (loadXLoraModel dtype)')
    .option('--recompute-samples <n>', 'xlora-recompute: estimate from this many sampled lengths', '5')
    .option('--timeout-s <n>', 'limit per child process', '3600')
    .option('--out <dir>', 'where report.json and report.md go', join(here, 'results'))
    .parse(process.argv)
    .opts<Options>();

  const modes = list(opts.modes) as BenchMode[];
  for (const m of modes) if (!BENCH_MODES.includes(m)) throw new Error(`unknown mode "${m}" (known: ${BENCH_MODES.join(', ')})`);
  const backends = list(opts.backends);
  for (const b of backends) if (!BENCH_BACKENDS[b]) throw new Error(`unknown backend "${b}" (known: ${Object.keys(BENCH_BACKENDS).join(', ')})`);
  const threads = intOption(opts.threads, '--threads', 1);
  const llamaThreads = intOption(opts.llamaCppThreads, '--llama-cpp-threads', 1);
  const promptTokens = intOption(opts.promptTokens, '--prompt-tokens', 1);
  const timeoutS = intOption(opts.timeoutS, '--timeout-s', 1);

  // what to run: [model spec, preset (for defaults)]
  const models: { spec: () => Promise<ModelSpec>; preset?: ModelPreset; label: string }[] = [];
  if (opts.model) {
    models.push({ spec: () => customModel(opts.model!, opts.xlora, opts.adapterRoot), label: opts.model });
  } else {
    for (const name of list(opts.preset)) {
      const p = PRESETS[PRESET_ALIASES[name] ?? name];
      if (!p) throw new Error(`unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
      const formats = opts.formats ? list(opts.formats) : (DEFAULT_FORMATS[p.name] ?? ['safetensors']);
      for (const format of formats) {
        if (!(BENCH_FORMATS as readonly string[]).includes(format)) throw new Error(`unknown format "${format}" (known: ${BENCH_FORMATS.join(', ')})`);
        models.push({ spec: () => presetModel(p, format as BenchFormat, join(here, '.models')), preset: p, label: `${p.name} ${format}` });
      }
    }
  }

  const rows: BenchRow[] = [];
  const skipped: SkippedRun[] = [];
  for (const { spec: makeSpec, preset, label } of models) {
    const spec = await makeSpec();
    const newTokens = opts.newTokens ? intOption(opts.newTokens, '--new-tokens', 2) : (preset?.newTokens ?? 16);
    const warmupTokens = opts.warmup ? intOption(opts.warmup, '--warmup', 0) : preset?.generation === 'direct' || !preset ? 2 : 8;
    const runtimes = [...backends, ...(opts.llamaCpp && spec.gguf ? ['llama-cpp'] : [])];
    for (const backend of runtimes) {
      const skip = (reason: string) => {
        skipped.push({ preset: spec.preset, format: spec.format, backend, reason });
        log(`[${label} ${backend}] skipped: ${reason}`);
      };
      if (backend === 'webgpu' && preset && parameterCount(preset) > WEBGPU_MAX_PARAMETERS) {
        skip(`SwiftShader, the only WebGPU adapter here, runs ~0.2 GFLOP/s: webgpu is benchmarked on presets up to ${WEBGPU_MAX_PARAMETERS / 1e6}M parameters`);
        continue;
      }
      if (backend !== 'llama-cpp' && !spec.xlora) {
        skip('our runtime needs an X-LoRA checkpoint (--xlora); llama.cpp runs the base alone');
        continue;
      }
      const job: ChildJob = {
        model: spec, backend, threads: backend === 'llama-cpp' ? llamaThreads : threads,
        modes: backend === 'llama-cpp' ? ['base'] : modes, promptTokens, newTokens, warmupTokens,
        ...(opts.dtype ? { dtype: opts.dtype } : {}), recomputeSamples: intOption(opts.recomputeSamples, '--recompute-samples', 2),
      };
      log(`\n== ${label} on ${backend}: ${spec.base}`);
      const result = await runChild(job, timeoutS);
      if (result.error) skip(result.error);
      rows.push(...rowsOf(spec, job, result));
    }
  }

  const report: BenchReport = {
    command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, node: process.version, date: new Date().toISOString() },
    ortThreads: threads, llamaCppThreads: llamaThreads, rows, skipped,
    ratios: targetRatios(rows.map((r) => ({ ...r, backend: `${r.preset} ${r.format} ${r.backend}` }))),
  };
  await mkdir(opts.out, { recursive: true });
  await writeFile(join(opts.out, 'report.json'), JSON.stringify(report, null, 2));
  await writeFile(join(opts.out, 'report.md'), toMarkdown(report));
  process.stdout.write(toMarkdown(report));
  log(`wrote ${join(opts.out, 'report.json')} and report.md`);
}

main().catch((err) => {
  log(`bench: error: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
