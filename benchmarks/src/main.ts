import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { i32 } from '@xlora/core';
import { loadXLoraModel, nodeFileSource } from '@xlora/model';
import { BENCH_BACKENDS } from './backends.js';
import { writeBenchmarkModel } from './generate-model.js';
import { BENCH_MODES, timeMode, type BenchMode } from './modes.js';
import { PRESETS, parameterCount } from './presets.js';
import { targetRatios, toMarkdown, type BenchReport, type BenchRow } from './report.js';

/** Run presets: which model, how many tokens, which modes. */
/** recomputeSamples: estimate PEFT's recompute mode from that many sampled lengths instead of running every step */
const RUNS: Record<string, { model: string; promptTokens: number; newTokens: number; recomputeSamples?: number; modes: readonly BenchMode[] }> = {
  quick: { model: 'small', promptTokens: 16, newTokens: 128, recomputeSamples: 5, modes: BENCH_MODES },
  full: { model: 'small', promptTokens: 16, newTokens: 128, modes: BENCH_MODES },
  medium: { model: 'medium', promptTokens: 16, newTokens: 128, recomputeSamples: 5, modes: BENCH_MODES },
  tiny: { model: 'tiny', promptTokens: 16, newTokens: 32, modes: BENCH_MODES },
};

const here = fileURLToPath(new URL('..', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const opts = new Command('bench')
    .addOption(new Option('--preset <name>', 'what to run').choices(Object.keys(RUNS)).default('quick'))
    .option('--backends <list>', `comma-separated: ${Object.keys(BENCH_BACKENDS).join(', ')}`, Object.keys(BENCH_BACKENDS).join(','))
    .option('--out <dir>', 'where to write report.json and report.md', `${here}results`)
    .parse(process.argv)
    .opts<{ preset: string; backends: string; out: string }>();
  const run = RUNS[opts.preset];
  const preset = PRESETS[run.model];
  const modelDir = `${here}.models/${preset.name}`;
  if (!existsSync(`${modelDir}/xlora/adapter_config.json`)) {
    log(`generating the "${preset.name}" benchmark model (${(parameterCount(preset) / 1e6).toFixed(1)}M parameters) in ${modelDir}`);
    await writeBenchmarkModel(preset, modelDir);
  }
  const prompt = i32([1, run.promptTokens], Array.from({ length: run.promptTokens }, (_, i) => (i * 37 + 11) % preset.vocab));
  const rows: BenchRow[] = [];
  const memory: Record<string, { weightMB: number; hostTensorMBAfterLoad: number }> = {};
  for (const key of opts.backends.split(',')) {
    const entry = BENCH_BACKENDS[key];
    if (!entry) throw new Error(`unknown backend "${key}"`);
    let backend;
    try {
      backend = await entry.start();
    } catch (err) {
      log(`[${entry.label}] skipped: ${(err as Error).message.split('\n').join(' ')}`);
      continue;
    }
    const loadStart = performance.now();
    const model = await loadXLoraModel({ source: nodeFileSource(modelDir), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend });
    const loadMs = performance.now() - loadStart;
    let weightBytes = 0;
    for (const t of model.parts.baseWeights.values()) weightBytes += t.data.byteLength;
    for (const e of model.parts.experts) for (const m of e.modules.values()) weightBytes += m.a.data.byteLength + m.b.data.byteLength;
    const tensorBytes = model.hostTensorBytes();
    memory[entry.label] = { weightMB: weightBytes / 1e6, hostTensorMBAfterLoad: tensorBytes / 1e6 };
    log(`[${entry.label}] loaded in ${loadMs.toFixed(0)} ms: weights ${(weightBytes / 1e6).toFixed(0)} MB, host tensors ${(tensorBytes / 1e6).toFixed(0)} MB`);
    log(`[${entry.label}] warm-up: 24 X-LoRA tokens (JIT and kernels settle before the first timed mode)`);
    await timeMode(model, 'xlora', prompt, 24);
    for (const mode of run.modes) {
      const newTokens = run.newTokens;
      const estimated = mode === 'xlora-recompute' && run.recomputeSamples;
      log(`[${entry.label}] ${mode}: warm-up`);
      await timeMode(model, mode, prompt, mode === 'xlora-recompute' ? 3 : 12); // compiles the graphs, lets the JIT settle
      log(`[${entry.label}] ${mode}: ${run.promptTokens}-token prompt + ${newTokens} new tokens${estimated ? ` (estimated from ${run.recomputeSamples} sampled lengths)` : ''}`);
      const t = await timeMode(model, mode, prompt, newTokens, run.recomputeSamples);
      const stats = (backend as { stats?: { lastRunDispatches?: number } }).stats;
      const row: BenchRow = {
        backend: entry.label, device: backend.info.device, mode: estimated ? `${mode} (estimated)` : mode, promptTokens: run.promptTokens, newTokens, loadMs,
        timeToFirstTokenMs: t.timeToFirstTokenMs,
        prefillTokensPerS: run.promptTokens / (t.timeToFirstTokenMs / 1000),
        decodeTokensPerS: t.decodeSteps / (t.decodeMs / 1000),
        decodeMsPerToken: t.decodeMs / t.decodeSteps,
        peakRssMB: process.resourceUsage().maxRSS / 1024,
        ...(stats?.lastRunDispatches !== undefined && !estimated ? { dispatchesPerDecodeToken: stats.lastRunDispatches } : {}),
      };
      rows.push(row);
      log(`[${entry.label}] ${mode}: TTFT ${row.timeToFirstTokenMs.toFixed(0)} ms, decode ${row.decodeTokensPerS.toFixed(2)} tok/s (${row.decodeMsPerToken.toFixed(1)} ms/token)${row.dispatchesPerDecodeToken ? `, ${row.dispatchesPerDecodeToken} GPU dispatches per decode token` : ''}`);

    }
    model.dispose();
    backend.dispose();
  }
  const report: BenchReport = {
    preset: opts.preset,
    model: { ...preset, parameters: parameterCount(preset) },
    machine: { cpus: cpus().length, node: process.version, date: new Date().toISOString() },
    rows,
    memory,
    ratios: targetRatios(rows),
  };
  await mkdir(opts.out, { recursive: true });
  await writeFile(`${opts.out}/report.json`, JSON.stringify(report, null, 2));
  await writeFile(`${opts.out}/report.md`, toMarkdown(report));
  process.stdout.write(toMarkdown(report));
  log(`wrote ${opts.out}/report.json and report.md`);
}

main().catch((err) => {
  log(`bench: error: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
