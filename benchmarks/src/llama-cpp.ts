import { peakRssBytes } from './peak-rss.js';
import { promptIds, type ChildJob, type ChildResult, type ModeResult } from './run-spec.js';

const MB = 1 << 20;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Context llama.cpp allocates: the run's tokens rounded up to 256 (its KV cache is this long, in F16). */
export function llamaCppContextSize(promptTokens: number, newTokens: number): number {
  return Math.ceil((promptTokens + newTokens + 1) / 256) * 256;
}

/**
 * The same base model run by llama.cpp (node-llama-cpp 3.21.1, its prebuilt CPU binary, `job.threads` threads):
 * load, then a greedy decode of `newTokens` after the same `promptTokens` ids our backends get, timed as ours
 * are (time to the first new token = prefill + first pick; the rest = decode). Base mode only: llama.cpp has no
 * X-LoRA. node-llama-cpp is a devDependency of the benchmarks only.
 */
export async function runLlamaCpp(job: ChildJob): Promise<ChildResult> {
  const gguf = job.model.gguf;
  if (!gguf) throw new Error(`${job.model.base}: llama.cpp runs GGUF files only`);
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error, maxThreads: job.threads });
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: gguf });
  const context = await model.createContext({
    contextSize: llamaCppContextSize(job.promptTokens, job.newTokens), threads: { ideal: job.threads, min: job.threads }, sequences: 1,
  });
  const loadS = (performance.now() - loadStart) / 1000;
  const rssAfterLoadMB = peakRssBytes() / MB;
  log(`[llama.cpp] loaded in ${loadS.toFixed(1)} s, peak RSS ${rssAfterLoadMB.toFixed(0)} MB, ${job.threads} thread(s)`);
  const sequence = context.getSequence();
  const generate = async (ids: number[], newTokens: number) => {
    await sequence.clearHistory();
    const start = performance.now();
    let first = 0;
    let produced = 0;
    for await (const _token of sequence.evaluate(ids as never[], { temperature: 0, yieldEogToken: true })) {
      if (produced === 0) first = performance.now();
      if (++produced >= newTokens) break;
    }
    return { timeToFirstTokenMs: first - start, decodeMs: performance.now() - first, decodeSteps: produced - 1 };
  };
  if (job.warmupTokens > 0) await generate(promptIds(2, job.model.vocab), job.warmupTokens);
  const t = await generate(promptIds(job.promptTokens, job.model.vocab), job.newTokens);
  const row: ModeResult = {
    mode: 'base', promptTokens: job.promptTokens, newTokens: t.decodeSteps + 1,
    timeToFirstTokenMs: t.timeToFirstTokenMs,
    prefillTokensPerS: job.promptTokens / (t.timeToFirstTokenMs / 1000),
    decodeTokensPerS: t.decodeSteps / (t.decodeMs / 1000),
    decodeMsPerToken: t.decodeMs / t.decodeSteps,
    peakRssMB: peakRssBytes() / MB,
  };
  log(`[llama.cpp] base: prefill ${row.prefillTokensPerS.toFixed(1)} tok/s, decode ${row.decodeTokensPerS.toFixed(2)} tok/s`);
  await context.dispose();
  await model.dispose();
  return {
    backendLabel: `llama.cpp (${job.threads} thread${job.threads === 1 ? '' : 's'})`, device: 'cpu', loadS, rssAfterLoadMB, modes: [row],
    notes: [`node-llama-cpp ${llama.buildType} build, mmap, F16 KV cache of ${llamaCppContextSize(job.promptTokens, job.newTokens)} tokens`],
  };
}
