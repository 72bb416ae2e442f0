import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseSafetensors, writeSafetensors } from '@xlora/model';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test-data/peft-xlora', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-cli-'));

/** Runs the CLI from an unrelated working directory, as a user would. */
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
const common = read(`${FIX}/common.safetensors`);

describe('xlora CLI', () => {
  beforeAll(() => {
    writeFileSync(join(tmp, 'padded.safetensors'), writeSafetensors({
      input_ids: common.getI32('inputs.padded.input_ids'), attention_mask: common.getI32('inputs.padded.attention_mask'),
      position_ids: common.getI32('inputs.padded.position_ids'),
    }));
    writeFileSync(join(tmp, 'gen_batch.safetensors'), writeSafetensors({
      input_ids: common.getI32('inputs.gen_batch.input_ids'), attention_mask: common.getI32('inputs.gen_batch.attention_mask'),
    }));
    writeFileSync(join(tmp, 'truncated.safetensors'), readFileSync(join(tmp, 'padded.safetensors')).subarray(0, 40));
  });

  it('forward writes PEFT\'s logits and scalings (case c: top-2 + softmax over top-k, left padding)', async () => {
    const r = await xlora('forward', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/c_topk2_softmax_topk/xlora`, '--adapter-root', FIX,
      '--inputs', 'padded.safetensors', '--out', 'out.safetensors');
    expect(r.stderr).toContain('wrote logits');
    expect(r.code).toBe(0);
    const out = read(join(tmp, 'out.safetensors'));
    const want = read(`${FIX}/cases/c_topk2_softmax_topk/expected.safetensors`);
    const mask = common.getI32('inputs.padded.attention_mask').data;
    for (const [name, inner] of [['logits', 128], ['scalings', 14 * 3]] as const) {
      const got = out.getF32(name).data, exp = want.getF32(`padded.${name}`).data;
      expect(out.getF32(name).shape).toEqual(want.getF32(`padded.${name}`).shape);
      for (let i = 0; i < got.length; i++) {
        if (mask[Math.floor(i / inner)]) expect(Math.abs(got[i] - exp[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(exp[i]));
      }
    }
  }, 60_000);

  it('generate writes HF-style tokens (case e, padded batch)', async () => {
    const r = await xlora('generate', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/e_gsw0.7_passvalue_1_over_n/xlora`, '--adapter-root', FIX,
      '--inputs', 'gen_batch.safetensors', '--max-new-tokens', '8', '--out', 'gen.json');
    expect(r.code).toBe(0);
    const want = read(`${FIX}/cases/e_gsw0.7_passvalue_1_over_n/expected.safetensors`).getI32('gen_batch.tokens');
    const got = JSON.parse(readFileSync(join(tmp, 'gen.json'), 'utf8')).tokens as number[][];
    expect(got.flat()).toEqual(Array.from(want.data));
  }, 60_000);

  it('forward on ONNX Runtime (cpu EP) gives the same numbers, and export-onnx writes the model and its sidecar', async () => {
    const r = await xlora('forward', '--backend', 'cuda-onnx', '--ep', 'cpu', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX,
      '--inputs', 'padded.safetensors', '--out', 'ort.safetensors');
    expect(r.code).toBe(0);
    const got = read(join(tmp, 'ort.safetensors')).getF32('logits').data;
    const want = read(`${FIX}/cases/a_default/expected.safetensors`).getF32('padded.logits').data;
    const mask = common.getI32('inputs.padded.attention_mask').data;
    for (let i = 0; i < got.length; i++) if (mask[Math.floor(i / 128)]) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[i]));
    const e = await xlora('export-onnx', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX, '--out', 'onnx');
    expect(e.code).toBe(0);
    const sidecar = JSON.parse(readFileSync(join(tmp, 'onnx', 'model.json'), 'utf8'));
    expect(sidecar.metadata).toMatchObject({ num_layers: 14, num_experts: 3, passes: ['scaling', 'real'] });
    expect(sidecar.inputs.map((i: { name: string }) => i.name)).toContain('scaling.past.0.key');
  }, 120_000);

  it('inspect shows L, C, ranks and the classifier', async () => {
    const r = await xlora('inspect', `${FIX}/cases/b2_depth3_layerwise_nodropout/xlora`, '--adapter-root', FIX, '--model', `${FIX}/base`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('C = 3 experts, L = 14 LoRA-wrapped modules, layerwise scalings');
    expect(r.stdout).toContain('layers.0 [32,64] → ReLU → layers.2 [32,32] → ReLU → layers.4 [42,32]');
    expect(r.stdout).toMatch(/lora_qkvo_r8\s+r=8 alpha=4/);
  }, 60_000);

  it('demo runs the bundled model and tags the leading expert of each byte', async () => {
    const r = await xlora('demo', '--max-new-tokens', '4');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('«code»');
    expect(r.stdout).toContain('«math»');
  }, 60_000);

  it('bad input: one-line error, non-zero exit', async () => {
    const cases: [string[], string][] = [
      [['forward', '--model', `${FIX}/base`, '--xlora', `${tmp}/nope`, '--inputs', 'padded.safetensors', '--out', 'x.safetensors'], 'nope'],
      [['forward', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX, '--inputs', 'truncated.safetensors', '--out', 'x.safetensors'], 'truncated.safetensors'],
      [['generate', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX, '--prompt', 'hi', '--max-new-tokens', '2'], 'needs a tokenizer.json'],
      [['generate', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX, '--inputs', 'gen_batch.safetensors', '--max-new-tokens', '-1'], '--max-new-tokens must be an integer >= 0'],
      [['forward', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/a_default/xlora`, '--adapter-root', FIX, '--inputs', 'padded.safetensors', '--out', 'x', '--backend', 'tpu'], 'tpu'],
    ];
    for (const [args, fragment] of cases) {
      const r = await xlora(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(fragment);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 120_000);
});
