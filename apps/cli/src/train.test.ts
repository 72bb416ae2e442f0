import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
const tmp = mkdtempSync(join(tmpdir(), 'xlora-train-'));
const manifest = JSON.parse(readFileSync(`${FIX}/manifest.json`, 'utf8'));
const caseNamed = (name: string) => manifest.cases.find((c: { name: string }) => c.name === name);

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
function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: { atol: number; rtol: number }): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol.atol + tol.rtol * Math.abs(want[i]))) {
      expect.fail(`${label}[${i}]: got ${got[i]}, want ${want[i]}`);
    }
  }
}

describe('xlora train (exact-step contract)', () => {
  // webgpu: Dawn over the Vulkan driver scripts/test.sh sets up (SwiftShader here); its gradient kernels are WGSL
  for (const backend of ['cpu', 'webgpu']) {
  it(`SGD, classifier only (p1) on ${backend}: LOSS.json, GRADS.safetensors and the saved checkpoint match PEFT`, async () => {
    const c = caseNamed('p1_depth1');
    const out = join(tmp, `p1-${backend}`);
    const r = await xlora('train', '--model', `${FIX}/base`, '--xlora', `${FIX}/${c.xlora_checkpoint}`, '--adapter-root', FIX,
      '--batch', `${FIX}/${c.batch_file}`, '--optimizer', 'sgd', '--lr', String(c.sgd.lr), '--steps', String(c.sgd.steps),
      '--out', out, '--loss-out', `p1-${backend}-loss.json`, '--grads-out', `p1-${backend}-grads.safetensors`, '--backend', backend);
    expect(r.stderr).toContain(`wrote p1-${backend}-loss.json`);
    expect(r.code).toBe(0);
    const want = read(`${FIX}/${c.dir}/expected.safetensors`);
    const tol = c.suggested_tolerance;
    const losses = JSON.parse(readFileSync(join(tmp, `p1-${backend}-loss.json`), 'utf8')).loss;
    expectClose('loss', losses, [...want.getF32('loss.init').data, ...want.getF32('sgd.loss_after_step').data], tol.sgd_and_adamw_losses);
    const grads = read(join(tmp, `p1-${backend}-grads.safetensors`));
    expect(grads.names().sort()).toEqual(Object.keys(c.trainable_params).sort());
    for (const name of grads.names()) expectClose(name, grads.getF32(name).data, want.getF32(`grad.${name}`).data, tol.grad);
    const saved = read(join(out, 'adapter_model.safetensors'));
    expect(saved.metadata).toEqual({ format: 'pt' });
    for (const name of saved.names()) expectClose(name, saved.getF32(name).data, want.getF32(`sgd.param.${name}`).data, tol.sgd_params);
    // classifier only: adapter_config.json is written back byte for byte, as PEFT does
    expect(readFileSync(join(out, 'adapter_config.json'))).toEqual(readFileSync(`${FIX}/${c.xlora_checkpoint}/adapter_config.json`));
    expect(existsSync(join(out, 'trained-experts'))).toBe(false);
  }, 120_000);
  }

  it('AdamW with trainable adapters (p2): losses, every gradient, and trained experts saved so that reloading keeps them', async () => {
    const c = caseNamed('p2_depth2_layerwise_temp0.7_trainable_adapters');
    const out = join(tmp, 'p2');
    const r = await xlora('train', '--model', `${FIX}/base`, '--xlora', `${FIX}/${c.xlora_checkpoint}`, '--adapter-root', FIX,
      '--batch', `${FIX}/${c.batch_file}`, '--optimizer', 'adamw', '--lr', String(c.adamw.lr), '--betas', c.adamw.betas.join(','),
      '--eps', String(c.adamw.eps), '--weight-decay', String(c.adamw.weight_decay), '--steps', String(c.adamw.steps),
      '--trainable-adapters', '--out', out, '--loss-out', 'p2-loss.json', '--grads-out', 'p2-grads.safetensors');
    expect(r.stderr).toContain('trained experts');
    expect(r.code).toBe(0);
    const want = read(`${FIX}/${c.dir}/expected.safetensors`);
    const tol = c.suggested_tolerance;
    const losses = JSON.parse(readFileSync(join(tmp, 'p2-loss.json'), 'utf8')).loss;
    expectClose('loss', losses, [...want.getF32('loss.init').data, ...want.getF32('adamw.loss_after_step').data], tol.sgd_and_adamw_losses);
    const grads = read(join(tmp, 'p2-grads.safetensors'));
    expect(grads.names().sort()).toEqual(Object.keys(c.trainable_params).sort());
    for (const name of grads.names()) expectClose(name, grads.getF32(name).data, want.getF32(`grad.${name}`).data, tol.grad);
    // every trained LoRA tensor is in its expert's file under the plain LoRA key
    const keys = Object.keys(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).adapters);
    for (const [param, where] of Object.entries(c.lora_param_to_expert_file_key as Record<string, { expert: number; expert_file_key: string }>)) {
      const file = read(join(out, 'trained-experts', keys[where.expert], 'adapter_model.safetensors'));
      expectClose(param, file.getF32(where.expert_file_key).data, want.getF32(`adamw.param.${param}`).data, tol.adamw_params);
    }
    // reloading the saved checkpoint gives the trained loss (PEFT's own save gives 4.62 instead of 2.36 here)
    const parts = await loadTrainingParts({ source: nodeFileSource('/'), baseDir: `${FIX}/base`, xloraDir: out, adapterRoot: out });
    const reloaded = await XLoraTrainer.create(parts, await createCpuBackend());
    const b = read(`${FIX}/${c.batch_file}`);
    const loss = await reloaded.loss({ inputIds: b.getI32('input_ids'), attentionMask: b.getI32('attention_mask'), labels: b.getI32('labels') });
    expectClose('reloaded loss', [loss], [losses[losses.length - 1]], { atol: 1e-6, rtol: 1e-6 });
  }, 180_000);

  it('bad input is a named error', async () => {
    const r = await xlora('train', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/p1_depth1/xlora`, '--adapter-root', FIX,
      '--batch', `${FIX}/cases/p1_depth1/expected.safetensors`, '--optimizer', 'sgd', '--lr', '1', '--steps', '1',
      '--out', join(tmp, 'bad'), '--loss-out', 'bad.json', '--grads-out', 'bad.safetensors');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no tensor named "input_ids"');
    const b = await xlora('train', '--model', `${FIX}/base`, '--xlora', `${FIX}/cases/p1_depth1/xlora`, '--batch', 'x', '--optimizer', 'sgd',
      '--lr', '1', '--betas', '0.9,0.999', '--steps', '1', '--out', 'o', '--loss-out', 'l.json', '--grads-out', 'g.safetensors');
    expect(b.stderr).toContain('--betas and --eps apply to --optimizer adamw only');
  }, 60_000);
});
