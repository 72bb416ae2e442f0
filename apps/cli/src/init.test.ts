import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCpuBackend } from '@xlora/backend-cpu';
import { loadTrainingParts, nodeFileSource, parseSafetensors, XLoraTrainer } from '@xlora/model';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test-data/peft-xlora-training', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-init-'));

async function xlora(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1' } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}
const ADAPTERS = `qv=${FIX}/adapters/lora_qv_r4,qkvo=${FIX}/adapters/lora_qkvo_r8,mlp=${FIX}/adapters/lora_mlp_r2_rslora`;

describe('xlora init', () => {
  it('writes PEFT\'s config fields and a classifier drawn from nn.Linear\'s default init, which our loader and trainer load', async () => {
    const r = await xlora('init', '--model', `${FIX}/base`, '--adapters', ADAPTERS, '--depth', '2', '--size', '256', '--layerwise', '--out', 'new');
    expect(r.stderr).toContain('3 experts (0=qv, 1=qkvo, 2=mlp)');
    expect(r.code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(tmp, 'new', 'adapter_config.json'), 'utf8'));
    // the same field set PEFT 0.18.1 wrote for the fixture checkpoint
    const peft = JSON.parse(readFileSync(`${FIX}/cases/p1_depth1/xlora/adapter_config.json`, 'utf8'));
    expect(Object.keys(cfg).sort()).toEqual(Object.keys(peft).sort());
    expect(cfg).toMatchObject({
      peft_type: 'XLORA', task_type: 'CAUSAL_LM', hidden_size: 64, xlora_depth: 2, xlora_size: 256, layerwise_scalings: true,
      xlora_dropout_p: 0.2, enable_softmax: true, scaling_pass_value: 0, adapters: { 0: `${FIX}/adapters/lora_qv_r4`, 2: `${FIX}/adapters/lora_mlp_r2_rslora` },
    });
    const file = parseSafetensors(new Uint8Array(readFileSync(join(tmp, 'new', 'adapter_model.safetensors'))), 'init');
    expect(file.metadata).toEqual({ format: 'pt' });
    // dropout p > 0: PEFT's Sequential is Linear, ReLU, Dropout, Linear -> keys layers.0 and layers.3
    const p = 'base_model.internal_xlora_classifier.layers.';
    expect(file.names().sort()).toEqual([`${p}0.bias`, `${p}0.weight`, `${p}3.bias`, `${p}3.weight`]);
    expect(file.getF32(`${p}0.weight`).shape).toEqual([256, 64]);
    // layerwise: C·L outputs; the 3 fixture adapters wrap 2 layers × (q,k,v,o + gate,up,down) = 14 modules
    expect(file.getF32(`${p}3.weight`).shape).toEqual([3 * 14, 256]);
    // U(-1/sqrt(in), 1/sqrt(in)): bounds, mean 0, variance bound²/3
    for (const [key, fanIn] of [[`${p}0.weight`, 64], [`${p}3.weight`, 256]] as const) {
      const d = file.getF32(key).data, bound = 1 / Math.sqrt(fanIn);
      const mean = d.reduce((s, v) => s + v, 0) / d.length, variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length;
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.98 * bound);
      expect(Math.abs(mean)).toBeLessThan(0.05 * bound);
      expect(variance / (bound * bound / 3)).toBeGreaterThan(0.93);
      expect(variance / (bound * bound / 3)).toBeLessThan(1.07);
    }
    for (const [key, fanIn] of [[`${p}0.bias`, 64], [`${p}3.bias`, 256]] as const) {
      expect(Math.max(...file.getF32(key).data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    }
    const parts = await loadTrainingParts({ source: nodeFileSource('/'), baseDir: `${FIX}/base`, xloraDir: join(tmp, 'new') });
    const trainer = await XLoraTrainer.create(parts, await createCpuBackend(), { mode: 'eval' });
    const b = parseSafetensors(new Uint8Array(readFileSync(`${FIX}/cases/p1_depth1/batch.safetensors`)), 'batch');
    const loss = await trainer.loss({ inputIds: b.getI32('input_ids'), attentionMask: b.getI32('attention_mask'), labels: b.getI32('labels') });
    // a near-uniform mixture of the experts on a 128-token vocabulary: about ln 128 = 4.85
    expect(loss).toBeGreaterThan(3);
    expect(loss).toBeLessThan(6);
  }, 120_000);

  it('bad input is named', async () => {
    const r = await xlora('init', '--model', `${FIX}/base`, '--adapters', `a=${FIX}/nope`, '--out', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('adapter_config.json not found');
    const e = await xlora('init', '--model', `${FIX}/base`, '--adapters', '=x', '--out', 'x');
    expect(e.stderr).toContain('--adapters item 1 "=x"');
  }, 60_000);
});
