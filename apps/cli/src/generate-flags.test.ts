import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../models/xlora-demo', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-generate-flags-'));

/** Runs the CLI from an unrelated working directory, as a user would. */
async function xlora(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const generate = (...args: string[]) => xlora(['generate', '--model', `${DEMO}/base`, '--xlora', `${DEMO}/xlora`, '--adapter-root', DEMO, '--max-new-tokens', '3', ...args]);

/** The CLI failed with exactly one stderr line, `xlora: error: ...` containing `fragment`, and printed nothing else. */
function expectOneLineError(r: { code: number; stdout: string; stderr: string }, fragment: string): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stdout).toBe(''); // failed before loading the model: no prompt text was streamed
  expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(fragment)]);
  expect(r.stderr).toMatch(/^xlora: error: /);
}

describe('xlora generate / forward: output paths are checked before any work', () => {
  it('generate --out into a missing folder fails before generating', async () => {
    expectOneLineError(await generate('--prompt', 'hi', '--out', 'no/such/dir/gen.json'), `--out no/such/dir/gen.json: the folder ${tmp}/no/such/dir does not exist`);
  }, 60_000);

  it('generate --scalings-out naming a folder fails before generating', async () => {
    mkdirSync(join(tmp, 'a-folder'), { recursive: true });
    expectOneLineError(await generate('--prompt', 'hi', '--scalings-out', 'a-folder'), '--scalings-out a-folder: is a folder; expected a file path');
  }, 60_000);

  it('forward --out into a missing folder fails before reading or loading anything', async () => {
    const r = await xlora(['forward', '--model', `${DEMO}/base`, '--xlora', `${DEMO}/xlora`, '--inputs', 'missing.safetensors', '--out', 'nope/out.safetensors']);
    expectOneLineError(r, `--out nope/out.safetensors: the folder ${tmp}/nope does not exist`);
  }, 60_000);

  it('a writable --out still works', async () => {
    const r = await generate('--prompt', 'hi', '--out', 'gen.json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp, 'gen.json'), 'utf8')).tokens[0].slice(0, 2)).toEqual([104, 105]);
  }, 60_000);
});

describe('xlora generate: flags that would be ignored are errors', () => {
  it('sampling flags without --do-sample name the flags', async () => {
    expectOneLineError(await generate('--prompt', 'hi', '--temperature', '0.7'), '--temperature only applies when sampling: add --do-sample');
    expectOneLineError(await generate('--prompt', 'hi', '--top-k', '5', '--top-p', '0.9'), '--top-k, --top-p only apply when sampling: add --do-sample');
  }, 60_000);

  it('--system without --chat, and --chat without --prompt', async () => {
    expectOneLineError(await generate('--prompt', 'hi', '--system', 'be brief'), '--system is a system message for --chat: add --chat or drop --system');
    expectOneLineError(await generate('--inputs', 'x.safetensors', '--chat'), '--chat wraps --prompt in the chat template: give --prompt TEXT (not --inputs)');
  }, 60_000);

  it('the same sampling flags with --do-sample are accepted', async () => {
    const r = await generate('--prompt', 'hi', '--do-sample', '--temperature', '0.7', '--top-k', '5', '--top-p', '0.9', '--seed', '4294967295');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('hi')).toBe(true);
  }, 60_000);
});

describe('xlora generate --prompt ""', () => {
  it('is a specific error when the tokenizer adds no BOS token (nothing to continue from)', async () => {
    expectOneLineError(await generate('--prompt', ''), '--prompt is empty and this tokenizer adds no BOS token');
  }, 60_000);

  it('generates from the BOS token alone when the tokenizer adds one, as transformers does', async () => {
    const base = join(tmp, 'bos-base');
    mkdirSync(base, { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer_config.json']) symlinkSync(join(DEMO, 'base', f), join(base, f));
    const tj = JSON.parse(readFileSync(join(DEMO, 'base', 'tokenizer.json'), 'utf8'));
    tj.post_processor = {
      type: 'TemplateProcessing', single: [{ SpecialToken: { id: '#', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { '#': { id: '#', ids: [35], tokens: ['#'] } },
    };
    writeFileSync(join(base, 'tokenizer.json'), JSON.stringify(tj));
    const r = await xlora(['generate', '--model', base, '--xlora', `${DEMO}/xlora`, '--adapter-root', DEMO, '--max-new-tokens', '3', '--prompt', '', '--out', 'bos.json']);
    expect(r.code, r.stderr).toBe(0);
    const tokens = JSON.parse(readFileSync(join(tmp, 'bos.json'), 'utf8')).tokens[0] as number[];
    expect(tokens[0]).toBe(35);
    expect(tokens).toHaveLength(4);
  }, 60_000);
});

describe('xlora generate: numeric flags are bounded', () => {
  it('--seed beyond the sampler\'s 32 bits', async () => {
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--seed', '18446744073709551616'), '--seed must be an integer from 0 to 4294967295');
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--seed', '4294967296'), '--seed must be an integer from 0 to 4294967295');
  }, 60_000);

  it('--top-p, --temperature, --max-new-tokens out of range', async () => {
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--top-p', '1.5'), '--top-p must be a number in (0, 1], got 1.5');
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--top-p', '0'), '--top-p must be a number in (0, 1], got 0');
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--temperature', '0'), '--temperature must be a number > 0, got 0');
    expectOneLineError(await generate('--prompt', 'hi', '--do-sample', '--temperature', '-1'), '--temperature must be a number > 0, got -1');
    expectOneLineError(await xlora(['generate', '--model', `${DEMO}/base`, '--xlora', `${DEMO}/xlora`, '--prompt', 'hi', '--max-new-tokens', '1e300']),
      '--max-new-tokens must be an integer from 0 to 9007199254740991');
  }, 60_000);

  // Parsed by main.ts's commander options: refused, but commander prints its help after the error line.
  it('negative and non-integer --seed / --top-k are refused, naming the flag', async () => {
    for (const args of [['--seed', '-1'], ['--seed', '1.5'], ['--top-k', '-2'], ['--top-k', '2.5']]) {
      const r = await generate('--prompt', 'hi', '--do-sample', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toContain(`${args[0]} must be an integer >= 0`);
    }
  }, 60_000);
});

describe('xlora generate --backend cuda-onnx --ep webgpu without a Vulkan driver', () => {
  it('says --ep webgpu found no adapter and what to do, in one line', async () => {
    const r = await xlora(['generate', '--model', `${DEMO}/base`, '--xlora', `${DEMO}/xlora`, '--prompt', 'hi', '--max-new-tokens', '2',
      '--backend', 'cuda-onnx', '--ep', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.code).not.toBe(0);
    // the Vulkan loader and Dawn print their own "Warning: ..." (+ "    at <C++ file>") lines from native code
    const ours = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Warning:') && !/^\s+at /.test(l));
    expect(ours).toEqual([
      'xlora: error: --ep webgpu: ONNX Runtime found no WebGPU adapter: no usable Vulkan driver (VK_ICD_FILENAMES=/nonexistent/icd.json is set: '
      + 'check that it names an existing driver manifest); install one (e.g. .ci/setup-webgpu.sh or mesa-vulkan-drivers), or use --ep cpu, or add --allow-fallback',
    ]);
    expect(r.stderr).not.toContain('onnxruntime_src');
  }, 60_000);
});
