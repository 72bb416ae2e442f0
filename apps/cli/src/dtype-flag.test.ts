import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, quantize, type WeightTensor } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, parseSafetensors, writeSafetensors, XLoraModel } from '@xlora/model';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test-data/peft-xlora', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-cli-dtype-'));

async function xlora(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('xlora --dtype', () => {
  it('forward --dtype q8_0 gives the logits of the f32 model whose matrices are dequantize(quantize(w)) (1e-4)', async () => {
    const common = parseSafetensors(new Uint8Array(readFileSync(`${FIX}/common.safetensors`)), 'common');
    const ids = common.getI32('inputs.unpadded.input_ids');
    writeFileSync(join(tmp, 'in.safetensors'), writeSafetensors({ input_ids: ids }));
    const r = await xlora('forward', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX,
      '--inputs', 'in.safetensors', '--out', 'out.safetensors', '--dtype', 'q8_0');
    expect(r.stderr).toContain('wrote logits');
    expect(r.code).toBe(0);
    const got = parseSafetensors(new Uint8Array(readFileSync(join(tmp, 'out.safetensors'))), 'out').getF32('logits').data;

    const backend = await createCpuBackend();
    const f32Model = await loadXLoraModel({ source: nodeFileSource(FIX), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend });
    const roundTripped = new Map<string, WeightTensor>([...f32Model.parts.baseWeights].map(([k, t]) => {
      const f = dequantize(t);
      return [k, f.shape.length === 2 ? dequantize(quantize(f, 'q8_0')) : f];
    }));
    const want = (await new XLoraModel({ ...f32Model.parts, baseWeights: roundTripped }, backend).forward(ids)).logits.data;
    const plain = (await f32Model.forward(ids)).logits.data;
    expect(got.length).toBe(want.length);
    let drift = 0;
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[i]));
      drift = Math.max(drift, Math.abs(got[i] - plain[i]));
    }
    expect(drift).toBeGreaterThan(1e-4); // the CLI really quantized
  }, 60_000);

  it('generate --dtype q4_k notes the q8_0 fallback of rows too short for its blocks, and refuses unknown formats', async () => {
    const r = await xlora('generate', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX,
      '--inputs', 'in.safetensors', '--max-new-tokens', '2', '--dtype', 'q4_k');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`note: ${FIX}/base/model.safetensors: 16 tensor(s) stored as q8_0 instead of q4_k, whose blocks do not fit their rows`);
    const bad = await xlora('generate', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--inputs', 'in.safetensors', '--max-new-tokens', '2', '--dtype', 'q5_k');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--dtype <format>' argument 'q5_k' is invalid. Allowed choices are f32, f16, bf16, q8_0, q4_0, q4_k, q4_k_m.");
  }, 60_000);
});
