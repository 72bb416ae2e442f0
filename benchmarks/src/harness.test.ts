import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, i32, type WeightTensor } from '@xlora/core';
import { hfTensorName, loadBaseModel, loadXLoraModel, nodeFileSource, openGguf } from '@xlora/model';
import { describe, expect, it } from 'vitest';
import { writeRandomBf16Checkpoint } from './bf16-safetensors-preset.js';
import { writeExpertsAndCheckpoint } from './generate-experts.js';
import { writeBenchmarkModel } from './generate-model.js';
import { baseTensorPlan, convertToGguf, GENERATED_RMS, writeRandomGguf } from './gguf-preset.js';
import { BENCH_MODES, timeMode } from './modes.js';
import { normalSampler } from './random-stream.js';
import { PRESETS, parameterCount } from './presets.js';
import { targetRatios } from './report.js';

describe('benchmark harness', () => {
  it('writes a model in the HF + PEFT layout that the normal loader reads, and times every mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlora-bench-'));
    const p = PRESETS.tiny;
    await writeBenchmarkModel(p, dir);
    const model = await loadXLoraModel({ source: nodeFileSource(dir), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend: await createCpuBackend() });
    expect(model.numExperts).toBe(p.experts);
    expect(model.numLayers).toBe(p.layers * 7);
    const prompt = i32([1, 4], [1, 2, 3, 4]);
    for (const mode of BENCH_MODES) {
      const t = await timeMode(model, mode, prompt, 3, mode === 'xlora-recompute' ? 2 : undefined);
      const full = await timeMode(model, mode, prompt, 3);
      expect(full.decodeSteps).toBe(2);
      expect(t.decodeSteps).toBe(2);
      expect(t.timeToFirstTokenMs).toBeGreaterThan(0);
    }
    expect(parameterCount(PRESETS.medium)).toBeGreaterThan(90e6);
    expect(parameterCount(PRESETS.medium)).toBeLessThan(130e6);
  }, 120_000);

  it('computes the three target ratios from decode times', () => {
    const row = (mode: string, ms: number) => ({ backend: 'cpu', mode, decodeMsPerToken: ms }) as never;
    const r = targetRatios([row('base', 10), row('xlora', 21), row('xlora-frozen', 11), row('xlora-recompute', 300)]);
    expect(r.cpu).toEqual({ 'xlora / base (target <= 2.3)': 2.1, 'xlora-frozen / base (target <= 1.2)': 1.1, 'xlora-recompute / xlora (target >= 10)': 300 / 21 });
  });
});

/** rms and mean of a weight's decoded values (core's decoders, which are tested against ggml's definitions). */
function stats(t: WeightTensor): { rms: number; mean: number; finite: boolean } {
  const v = dequantize(t).data;
  let sum = 0, sq = 0, finite = true;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) finite = false;
    sum += v[i];
    sq += v[i] * v[i];
  }
  return { rms: Math.sqrt(sq / v.length), mean: sum / v.length, finite };
}

/** The rms each generated tensor was asked for; norms are 1 ± spread (rms of 1 + U(−s, s) = √(1 + s²/3)). */
function intendedRms(p: typeof PRESETS.small): Map<string, { rms: number; norm: boolean }> {
  return new Map(baseTensorPlan(p).map((t) => [t.name, { rms: t.norm ? Math.sqrt(1 + (t.rms * t.rms) / 3) : t.rms, norm: t.norm }]));
}

const tmp = () => mkdtempSync(join(tmpdir(), 'xlora-bench-files-'));

describe('generated benchmark files', () => {
  it.each(['q8_0', 'q4_0', 'q4_k', 'f16'] as const)('a %s GGUF of the small shape decodes to finite values with the intended rms and mean 0', async (format) => {
    const p = { ...PRESETS.small, intermediate: 1536 }; // q4_k rows are 256-value super-blocks (small's 1408 is not)
    const file = join(tmp(), `small-${format}.gguf`);
    await writeRandomGguf(p, format, file);
    const gguf = await openGguf(nodeFileSource(), file);
    const intended = intendedRms(p);
    expect(gguf.tensors.length).toBe(intended.size);
    // every tensor of a few blocks and the big ones: embedding, head, one layer
    for (const info of gguf.tensors.filter((t) => !/^blk\.[1-9]/.test(t.name))) {
      const name = hfTensorName(info.name)!;
      const want = intended.get(name)!;
      const t = await gguf.readTensor(info.name);
      expect(want.norm ? 'f32' : format).toBe('format' in t ? t.format : t.dtype);
      const s = stats(t);
      expect(s.finite, name).toBe(true);
      expect(Math.abs(s.rms / want.rms - 1), `${name}: rms ${s.rms} vs ${want.rms}`).toBeLessThan(0.05);
      if (!want.norm) expect(Math.abs(s.mean), `${name}: mean`).toBeLessThan(0.05 * want.rms);
    }
  }, 60_000);

  it('BF16 shards and a random Q4_K GGUF of one shape load through loadXLoraModel and give finite logits on cpu', async () => {
    const p = { ...PRESETS.tiny, hidden: 256, intermediate: 512, heads: 4, kvHeads: 2 }; // q4_k rows need 256-multiples
    const dir = tmp();
    await writeExpertsAndCheckpoint(p, dir, normalSampler(7));
    await writeRandomBf16Checkpoint(p, join(dir, 'bf16'));
    await writeRandomGguf(p, 'q4_k', join(dir, 'base.gguf'));
    const bf16 = await loadBaseModel(nodeFileSource(dir), 'bf16');
    const embed = bf16.weights.get('model.embed_tokens.weight')!;
    expect('format' in embed && embed.format).toBe('bf16');
    expect(Math.abs(stats(embed).rms / GENERATED_RMS.embedding - 1)).toBeLessThan(0.05);
    for (const baseDir of ['bf16', 'base.gguf']) {
      const model = await loadXLoraModel({ source: nodeFileSource(dir), baseDir, xloraDir: 'xlora', adapterRoot: '', backend: await createCpuBackend() });
      expect(model.numExperts).toBe(p.experts);
      const out = await model.forward(i32([1, 4], [5, 6, 7, 8]));
      expect(out.logits.shape).toEqual([1, 4, p.vocab]);
      expect(out.logits.data.every(Number.isFinite)).toBe(true);
      model.dispose();
    }
  }, 60_000);

  it('the F32 GGUF converted from the safetensors model (q/k rows permuted as llama.cpp does) gives the same logits', async () => {
    const p = PRESETS.tiny;
    const dir = tmp();
    await writeBenchmarkModel(p, dir);
    await convertToGguf(p, join(dir, 'base'), 'f32', join(dir, 'base.gguf'));
    const ids = i32([1, 5], [3, 1, 4, 1, 5]);
    const logits: Float32Array[] = [];
    for (const baseDir of ['base', 'base.gguf']) {
      const model = await loadXLoraModel({ source: nodeFileSource(dir), baseDir, xloraDir: 'xlora', adapterRoot: '', backend: await createCpuBackend() });
      logits.push((await model.forward(ids)).logits.data);
      model.dispose();
    }
    let maxDiff = 0;
    for (let i = 0; i < logits[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[0][i] - logits[1][i]));
    expect(maxDiff).toBeLessThan(1e-5);
    // the q rows really moved in the file (a converter that forgot the permutation would also pass the logits check only if the loader did not un-permute)
    const gguf = await openGguf(nodeFileSource(), join(dir, 'base.gguf'));
    const q = dequantize(await gguf.readTensor('blk.0.attn_q.weight')).data;
    const base = await loadBaseModel(nodeFileSource(dir), 'base');
    const hf = dequantize(base.weights.get('model.layers.0.self_attn.q_proj.weight')!).data;
    const row = p.hidden;
    expect(Array.from(q.subarray(row, 2 * row))).toEqual(Array.from(hf.subarray((p.hidden / p.heads / 2) * row, (p.hidden / p.heads / 2 + 1) * row)));
  }, 60_000);
});
