import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { loadXLoraModel, nodeFileSource } from '@xlora/model';
import { describe, expect, it } from 'vitest';
import { writeBenchmarkModel } from './generate-model.js';
import { BENCH_MODES, timeMode } from './modes.js';
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
