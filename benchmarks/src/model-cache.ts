import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeightFormat } from '@xlora/core';
import { writeRandomBf16Checkpoint } from './bf16-safetensors-preset.js';
import { writeExpertsAndCheckpoint } from './generate-experts.js';
import { writeBenchmarkModel } from './generate-model.js';
import { convertToGguf, writeRandomGguf } from './gguf-preset.js';
import { BLOCK_GENERATOR_VERSION } from './random-blocks.js';
import { normalSampler } from './random-stream.js';
import { parameterCount, type ModelPreset } from './presets.js';
import type { ModelSpec } from './run-spec.js';

/** Bump when a generator changes what it writes: cached files with another stamp are regenerated. */
export const GENERATOR_VERSION = 'bench-models-v2';

/** Storage formats a preset can be benchmarked in: 'safetensors' (F32 for the small presets, BF16 shards for the real shapes) and GGUF files. */
export const BENCH_FORMATS = ['safetensors', 'f32', 'f16', 'q8_0', 'q4_0', 'q4_k'] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs `build` unless `path` carries this generator's stamp for this preset (then it is reused). */
async function cached(path: string, p: ModelPreset, what: string, build: () => Promise<void>, version = ''): Promise<void> {
  const stamp = `${path}.stamp`;
  const want = `${GENERATOR_VERSION}${version} ${JSON.stringify(p)}`;
  if (existsSync(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  await rm(path, { recursive: true, force: true });
  await rm(stamp, { force: true });
  log(`generating ${what} -> ${path}`);
  const t = performance.now();
  await build();
  await writeFile(stamp, want);
  log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** Bytes of a file, or of the .safetensors/.gguf files in a folder (recursively). */
export function weightFileBytes(path: string): number {
  const st = statSync(path);
  if (st.isFile()) return st.size;
  let n = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) n += weightFileBytes(full);
    else if (/\.(safetensors|gguf)$/.test(entry.name)) n += statSync(full).size;
  }
  return n;
}

/**
 * The preset's model in `format`, generated on first use under `modelsDir`/<preset>/ (git-ignored) and reused
 * after: experts + X-LoRA checkpoint (PEFT safetensors, f32) shared by all formats, the base per format.
 */
export async function presetModel(p: ModelPreset, format: BenchFormat, modelsDir: string): Promise<ModelSpec> {
  const dir = join(modelsDir, p.name);
  await mkdir(dir, { recursive: true });
  const millions = `${(parameterCount(p) / 1e6).toFixed(0)}M parameters`;
  if (p.generation === 'f32-safetensors') {
    // base/ (F32), experts/ and xlora/ in one go, as the harness test's loader reads them
    await cached(join(dir, 'base'), p, `the "${p.name}" model (${millions}, F32) with ${p.experts} experts`, async () => {
      await writeBenchmarkModel(p, dir);
    });
  } else {
    await cached(join(dir, 'xlora'), p, `${p.experts} experts + X-LoRA checkpoint for "${p.name}"`, async () => {
      await rm(join(dir, 'experts'), { recursive: true, force: true });
      await writeExpertsAndCheckpoint(p, dir, normalSampler(7));
    });
  }
  let base: string;
  let gguf: string | undefined;
  if (format === 'safetensors') {
    if (p.generation === 'f32-safetensors') base = join(dir, 'base');
    else {
      base = join(dir, 'bf16');
      await cached(base, p, `the "${p.name}" base (${millions}) as BF16 safetensors shards`, () => writeRandomBf16Checkpoint(p, base));
    }
  } else {
    base = gguf = join(dir, `${p.name}-${format}.gguf`);
    const direct = p.generation === 'direct';
    await cached(gguf, p, `the "${p.name}" base (${millions}) as a ${format} GGUF`, () =>
      direct ? writeRandomGguf(p, format, gguf!) : convertToGguf(p, join(dir, 'base'), format as WeightFormat, gguf!),
    direct ? ` blocks-${format}-v${BLOCK_GENERATOR_VERSION[format]}` : '');
  }
  const label = format === 'safetensors' ? `${p.generation === 'direct' ? 'bf16' : 'f32'} safetensors` : `${format} gguf`;
  return {
    preset: p.name, format: label, base, ...(gguf ? { gguf } : {}), xlora: join(dir, 'xlora'), adapterRoot: dir,
    baseBytes: weightFileBytes(base), adapterBytes: weightFileBytes(join(dir, 'xlora')) + weightFileBytes(join(dir, 'experts')),
    layers: p.layers, kvHeads: p.kvHeads, headDim: p.hidden / p.heads, vocab: p.vocab,
  };
}
