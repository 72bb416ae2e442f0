import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseSafetensors, writeSafetensors } from '@xlora/model';
import { describe, expect, it } from 'vitest';

// `xlora forward`, `generate` and `inspect` on every public architecture set, against PEFT's goldens.
const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-cli-arch-'));
const fixture = (set: string) => fileURLToPath(new URL(`../../../test-data/peft-xlora-${set}`, import.meta.url));

async function xlora(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const read = (path: string) => parseSafetensors(new Uint8Array(readFileSync(path)), path);

const SETS = [
  { set: 'gemma', case: 'gb_depth2_layerwise', arch: 'GemmaForCausalLM', derived: 'embeddings × √64 = 8' },
  { set: 'gemma2', case: 'g2a_default', arch: 'Gemma2ForCausalLM', derived: 'sliding-window attention: 4 positions on even layers' },
  { set: 'phi3', case: 'pb_depth2_layerwise', arch: 'Phi3ForCausalLM', derived: 'layer order o_proj, qkv_proj, gate_up_proj, down_proj' },
  { set: 'mixtral', case: 'ma_top2', arch: 'MixtralForCausalLM', derived: '4 experts of intermediate 96, top-2 routing renormalised' },
  { set: 'llama3rope', case: 'la_top1_temp0.7', arch: 'LlamaForCausalLM', derived: 'llama3 scaling (factor 8' },
];

describe('xlora CLI on every architecture set', () => {
  for (const s of SETS) {
    it(`${s.set}: forward (padded), generate (padded batch) and inspect`, async () => {
      const fix = fixture(s.set);
      const common = read(`${fix}/common.safetensors`);
      const want = read(`${fix}/cases/${s.case}/expected.safetensors`);
      const inputs = join(tmp, `${s.set}-padded.safetensors`);
      writeFileSync(inputs, writeSafetensors({
        input_ids: common.getI32('inputs.padded.input_ids'), attention_mask: common.getI32('inputs.padded.attention_mask'),
        position_ids: common.getI32('inputs.padded.position_ids'),
      }));
      const args = ['--model', `${fix}/base`, '--xlora', `${fix}/cases/${s.case}/xlora`, '--adapter-root', fix];
      const f = await xlora('forward', ...args, '--inputs', inputs, '--out', `${s.set}-out.safetensors`);
      expect(f.code, f.stderr).toBe(0);
      const got = read(join(tmp, `${s.set}-out.safetensors`)).getF32('logits');
      const exp = want.getF32('padded.logits');
      expect(got.shape).toEqual(exp.shape);
      const mask = common.getI32('inputs.padded.attention_mask').data, vocab = exp.shape[2];
      let worst = 0;
      for (let i = 0; i < got.data.length; i++) if (mask[Math.floor(i / vocab)]) worst = Math.max(worst, Math.abs(got.data[i] - exp.data[i]) - 1e-4 * Math.abs(exp.data[i]));
      expect(worst).toBeLessThanOrEqual(1e-4);

      const genInputs = join(tmp, `${s.set}-gen.safetensors`);
      writeFileSync(genInputs, writeSafetensors({ input_ids: common.getI32('inputs.gen_batch.input_ids'), attention_mask: common.getI32('inputs.gen_batch.attention_mask') }));
      const g = await xlora('generate', ...args, '--inputs', genInputs, '--max-new-tokens', '8', '--out', `${s.set}-gen.json`);
      expect(g.code, g.stderr).toBe(0);
      const tokens = JSON.parse(readFileSync(join(tmp, `${s.set}-gen.json`), 'utf8')).tokens as number[][];
      expect(tokens.flat()).toEqual(Array.from(want.getI32('gen_batch.tokens').data));

      const i = await xlora('inspect', `${fix}/cases/${s.case}/xlora`, '--adapter-root', fix, '--model', `${fix}/base`);
      expect(i.code, i.stderr).toBe(0);
      expect(i.stdout).toContain(`base: ${s.arch}`);
      expect(i.stdout).toContain(s.derived);
    }, 120_000);
  }
});
