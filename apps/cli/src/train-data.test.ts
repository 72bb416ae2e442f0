import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { loadTrainingParts, nodeFileSource, XLoraTrainer } from '@xlora/model';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test-data/peft-xlora-training', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-train-data-'));
const XLORA = `${FIX}/cases/p1_depth1/xlora`;

// the fixture base (vocab 128) with a tokenizer whose ids are the ASCII codes (BPE without merges, no special tokens)
const BASE = join(tmp, 'base');
mkdirSync(BASE);
for (const f of ['config.json', 'model.safetensors']) copyFileSync(`${FIX}/base/${f}`, join(BASE, f));
const vocab = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [String.fromCharCode(i), i]));
writeFileSync(join(BASE, 'tokenizer.json'), JSON.stringify({
  version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
}));
const DATA = join(tmp, 'data.jsonl');
writeFileSync(DATA, [
  { text: 'the cat sat on the mat' }, { prompt: '2+2=', completion: '4' }, { text: 'def f(x): return x' },
  { prompt: 'say hi: ', completion: 'hi there' }, { text: 'a b c d e f g' },
].map((o) => JSON.stringify(o)).join('\n'));

async function xlora(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const common = ['train', '--model', BASE, '--xlora', XLORA, '--adapter-root', FIX, '--data', DATA, '--seq-len', '12', '--batch-size', '2',
  '--grad-accum', '2', '--lr', '0.01', '--warmup', '1', '--steps', '4', '--seed', '3'];

describe('xlora train --data', () => {
  it('N steps straight = k steps + --resume + N−k steps, bit for bit (parameters, optimizer state, losses)', async () => {
    const a = await xlora(...common, '--save-every', '2', '--out', 'a');
    expect(a.stderr).toContain('trained 4 steps');
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/train \[.*\] 4\/4 steps \| loss [\d.]+ \| \d+ tok\/s \| ETA/);
    const b = await xlora(...common, '--resume', join(tmp, 'a', 'checkpoint-2'), '--out', 'b');
    expect(b.code).toBe(0);
    expect(b.stderr).toContain('trained 2 steps');
    const straight = readFileSync(join(tmp, 'a', 'adapter_model.safetensors'));
    expect(readFileSync(join(tmp, 'b', 'adapter_model.safetensors'))).toEqual(straight);
    const logA = JSON.parse(readFileSync(join(tmp, 'a', 'training_log.json'), 'utf8'));
    const logB = JSON.parse(readFileSync(join(tmp, 'b', 'training_log.json'), 'utf8'));
    expect(logB.losses).toEqual(logA.losses);
    expect(logA.losses).toHaveLength(4);
    // training moved the classifier
    expect(straight).not.toEqual(readFileSync(`${XLORA}/adapter_model.safetensors`));
    // a resume with other settings is refused by name
    const c = await xlora(...common.map((v) => (v === '3' ? '4' : v)), '--resume', join(tmp, 'a', 'checkpoint-2'), '--out', 'c');
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('the saved run had seed = 3, this one 4');
  }, 240_000);

  it('step 1\'s loss is the token-weighted loss of its 5 micro-batches of 1 row (= one batch of all 5 rows), prompt tokens not counted; --eval-data gives the same', async () => {
    const r = await xlora('train', '--model', BASE, '--xlora', XLORA, '--adapter-root', FIX, '--data', DATA, '--seq-len', '12',
      '--batch-size', '1', '--grad-accum', '5', '--steps', '1', '--lr', '0', '--no-progress', '--eval-data', DATA, '--out', 'one');
    expect(r.code).toBe(0);
    const log = JSON.parse(readFileSync(join(tmp, 'one', 'training_log.json'), 'utf8'));
    const loss = log.losses[0];
    // the same 5 rows built by hand from the ASCII codes, order irrelevant for a whole-batch mean
    const texts: [string, string][] = [['', 'the cat sat on the mat'], ['2+2=', '4'], ['', 'def f(x): return x'], ['say hi: ', 'hi there'], ['', 'a b c d e f g']];
    const S = 12, ids = new Int32Array(5 * S), mask = new Int32Array(5 * S), labels = new Int32Array(5 * S).fill(-100);
    texts.forEach(([p, c], row) => {
      [...(p + c)].slice(0, S).forEach((ch, t) => {
        ids[row * S + t] = ch.charCodeAt(0);
        mask[row * S + t] = 1;
        if (t >= p.length) labels[row * S + t] = ch.charCodeAt(0);
      });
    });
    const parts = await loadTrainingParts({ source: nodeFileSource('/'), baseDir: BASE, xloraDir: XLORA, adapterRoot: FIX });
    const trainer = await XLoraTrainer.create(parts, await createCpuBackend());
    const want = await trainer.loss({ inputIds: i32([5, S], ids), attentionMask: i32([5, S], mask), labels: i32([5, S], labels) });
    expect(Math.abs(loss - want)).toBeLessThan(1e-6);
    // --lr 0 leaves the parameters as they were, so the evaluation of the same rows (batches of 1, in order) is that loss too
    expect(log.evals).toHaveLength(1);
    expect(Math.abs(log.evals[0].loss - want)).toBeLessThan(1e-6);
  }, 120_000);

  it('bad data is a named error (file, line, field)', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"text":"ok"}\n{"prompt":"x","completion":7}\n');
    const r = await xlora('train', '--model', BASE, '--xlora', XLORA, '--adapter-root', FIX, '--data', bad, '--out', 'bad');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2: field "completion" must be a string, got number`);
    const noTok = await xlora('train', '--model', `${FIX}/base`, '--xlora', XLORA, '--adapter-root', FIX, '--data', DATA, '--out', 'bad');
    expect(noTok.stderr).toContain('no tokenizer.json');
  }, 60_000);

  it('--routing-weight: loss = lm + w·routing each step, the routing loss falls, eval is the LM loss; text-only data is refused', async () => {
    const segs = join(tmp, 'segments.jsonl');
    writeFileSync(segs, [
      { segments: [{ text: 'the cat sat ', expert: 0 }, { text: '2+2=4', expert: 1 }] },
      { segments: [{ text: 'def f(x): ', expert: 1 }, { text: 'on the mat', expert: 0 }] },
    ].map((o) => JSON.stringify(o)).join('\n'));
    const args = ['train', '--model', BASE, '--xlora', XLORA, '--adapter-root', FIX, '--data', segs, '--seq-len', '16', '--batch-size', '2',
      '--lr', '0.05', '--steps', '6', '--seed', '3', '--routing-weight', '0.5', '--eval-data', segs];
    const r = await xlora(...args, '--out', 'routed');
    expect(r.stderr).toMatch(/loss [\d.]+ \(lm [\d.]+, routing [\d.]+\)/);
    expect(r.code).toBe(0);
    const log = JSON.parse(readFileSync(join(tmp, 'routed', 'training_log.json'), 'utf8'));
    expect(log.routingWeight).toBe(0.5);
    expect(log.routingLosses).toHaveLength(6);
    log.losses.forEach((l: number, i: number) => expect(Math.abs(l - (log.lmLosses[i] + 0.5 * log.routingLosses[i]))).toBeLessThan(1e-5));
    expect(log.routingLosses[5]).toBeLessThan(log.routingLosses[0]);
    // the evaluation reports the language-model loss of the trained checkpoint (computed here independently)
    const parts = await loadTrainingParts({ source: nodeFileSource('/'), baseDir: BASE, xloraDir: join(tmp, 'routed'), adapterRoot: FIX });
    const trainer = await XLoraTrainer.create(parts, await createCpuBackend(), { mode: 'eval' });
    const S = 16, ids = new Int32Array(2 * S), mask = new Int32Array(2 * S), labels = new Int32Array(2 * S).fill(-100);
    ['the cat sat 2+2=4', 'def f(x): on the mat'].forEach((text, row) => [...text].slice(0, S).forEach((ch, t) => {
      ids[row * S + t] = ch.charCodeAt(0);
      mask[row * S + t] = 1;
      labels[row * S + t] = ch.charCodeAt(0);
    }));
    const want = await trainer.loss({ inputIds: i32([2, S], ids), attentionMask: i32([2, S], mask), labels: i32([2, S], labels) });
    expect(Math.abs(log.evals[0].loss - want)).toBeLessThan(1e-5);
    const refused = await xlora('train', '--model', BASE, '--xlora', XLORA, '--adapter-root', FIX, '--data', DATA, '--routing-weight', '1', '--out', 'refused');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${DATA}: example 1 labels no expert; --routing-weight needs every example as {"segments"`);
  }, 120_000);
});
