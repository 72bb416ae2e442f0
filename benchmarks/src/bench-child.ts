import { writeFileSync } from 'node:fs';
import { i32 } from '@xlora/core';
import { BENCH_BACKENDS } from './backends.js';
import { runLlamaCpp } from './llama-cpp.js';
import { loadBenchModel } from './load-bench-model.js';
import { timeMode } from './modes.js';
import { peakRssBytes } from './peak-rss.js';
import { promptIds, type ChildJob, type ChildResult, type ModeResult } from './run-spec.js';

const MB = 1 << 20;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs one job (one model on one backend, all its modes) in this process: its peak RSS is the job's alone. */
async function runOurs(job: ChildJob): Promise<ChildResult> {
  const entry = BENCH_BACKENDS[job.backend];
  if (!entry) throw new Error(`unknown backend "${job.backend}" (known: ${Object.keys(BENCH_BACKENDS).join(', ')}, llama-cpp)`);
  const backend = await entry.start({ threads: job.threads });
  const notes: string[] = [];
  const loadStart = performance.now();
  const model = await loadBenchModel(job.model, backend, job.dtype, notes);
  const loadS = (performance.now() - loadStart) / 1000;
  const rssAfterLoadMB = peakRssBytes() / MB;
  log(`[${entry.label}] loaded in ${loadS.toFixed(1)} s, peak RSS ${rssAfterLoadMB.toFixed(0)} MB`);
  const prompt = i32([1, job.promptTokens], promptIds(job.promptTokens, job.model.vocab));
  const warmPrompt = i32([1, 2], promptIds(2, job.model.vocab));
  const modes: ModeResult[] = [];
  for (const mode of job.modes) {
    if (job.warmupTokens > 0) {
      log(`[${entry.label}] ${mode}: warm-up (${job.warmupTokens} tokens after a 2-token prompt)`);
      await timeMode(model, mode, warmPrompt, job.warmupTokens);
    }
    log(`[${entry.label}] ${mode}: ${job.promptTokens}-token prompt + ${job.newTokens} new tokens`);
    const t = await timeMode(model, mode, prompt, job.newTokens, mode === 'xlora-recompute' ? job.recomputeSamples : undefined);
    const stats = (backend as { stats?: { lastRunDispatches?: number } }).stats;
    const row: ModeResult = {
      mode, promptTokens: job.promptTokens, newTokens: job.newTokens,
      timeToFirstTokenMs: t.timeToFirstTokenMs,
      prefillTokensPerS: job.promptTokens / (t.timeToFirstTokenMs / 1000),
      decodeTokensPerS: t.decodeSteps / (t.decodeMs / 1000),
      decodeMsPerToken: t.decodeMs / t.decodeSteps,
      peakRssMB: peakRssBytes() / MB,
      ...(stats?.lastRunDispatches !== undefined ? { dispatchesPerDecodeToken: stats.lastRunDispatches } : {}),
    };
    log(`[${entry.label}] ${mode}: prefill ${row.prefillTokensPerS.toFixed(1)} tok/s, decode ${row.decodeTokensPerS.toFixed(2)} tok/s, peak RSS ${row.peakRssMB.toFixed(0)} MB`);
    modes.push(row);
  }
  const result: ChildResult = {
    backendLabel: entry.label, device: backend.info.device, loadS, rssAfterLoadMB, weightFormats: backend.info.weightFormats,
    hostTensorMB: model.hostTensorBytes() / MB, modes, notes,
  };
  model.dispose();
  backend.dispose();
  return result;
}

async function main(): Promise<void> {
  const [jobJson, outFile] = process.argv.slice(2);
  const job = JSON.parse(jobJson) as ChildJob;
  let result: ChildResult;
  try {
    result = job.backend === 'llama-cpp' ? await runLlamaCpp(job) : await runOurs(job);
  } catch (err) {
    result = { backendLabel: job.backend, device: '', loadS: 0, rssAfterLoadMB: peakRssBytes() / MB, modes: [], notes: [], error: ((err as Error).message ?? String(err)).split('\n').slice(0, 3).join(' ') };
    log(`[${job.backend}] failed: ${(err as Error).stack ?? err}`);
  }
  writeFileSync(outFile, JSON.stringify(result));
  process.exit(0); // native runtimes (ORT, llama.cpp, Dawn) may keep the loop alive
}

void main();
