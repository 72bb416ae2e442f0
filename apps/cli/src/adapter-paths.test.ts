import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../models/xlora-demo', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-adapter-paths-'));
const cwd = join(tmp, 'elsewhere');
mkdirSync(cwd);

async function xlora(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd, env: { ...process.env, INIT_CWD: cwd, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Links the demo checkpoint to `<tmp>/<ckpt>` and the named demo experts to `<tmp>/<root>/experts/<name>`. */
function layout(ckpt: string, experts: Record<string, string>): string {
  mkdirSync(dirname(join(tmp, ckpt)), { recursive: true });
  symlinkSync(join(DEMO, 'xlora'), join(tmp, ckpt));
  for (const [name, root] of Object.entries(experts)) {
    mkdirSync(join(tmp, root, 'experts'), { recursive: true });
    symlinkSync(join(DEMO, 'experts', name), join(tmp, root, 'experts', name));
  }
  return join(tmp, ckpt);
}

describe('xlora CLI: where experts are looked for', () => {
  it('experts beside the checkpoint load, with one stderr note per expert saying where it came from', async () => {
    const ckpt = layout('proj/xlora', { prose: 'proj', code: 'proj', math: 'proj' });
    const r = await xlora('inspect', ckpt, '--model', `${DEMO}/base`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('C = 3 experts');
    const notes = r.stderr.trimEnd().split('\n');
    expect(notes).toEqual(['prose', 'code', 'math'].map((name, i) =>
      `note: adapter "${i}": loading expert from ${tmp}/proj/experts/${name}: path "experts/${name}" (from ${ckpt}/adapter_config.json) ` +
      `is not under ${cwd}, where PEFT looks; found relative to the checkpoint folder's parent`));
  }, 60_000);

  it('experts 4 levels above the checkpoint are not found any more; the missing adapter and the CLI flags are named', async () => {
    const ckpt = layout('a/b/c/d/xlora', { prose: 'a/b/c/d', code: 'a/b/c/d', math: '.' }); // math at the 4th level up
    const r = await xlora('inspect', ckpt, '--model', `${DEMO}/base`);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `xlora: error: adapter "2": expert folder not found: path "experts/math" (from ${ckpt}/adapter_config.json) was looked for at ` +
      `${cwd}/experts/math, ${ckpt}/experts/math, ${tmp}/a/b/c/d/experts/math; none of them has an adapter_config.json ` +
      '(PEFT resolves adapter paths against the working directory: set --adapter-root DIR, or replace the path with --adapter KEY=PATH)',
    );
  }, 60_000);

  it('--adapter-root is exact: no fallback, no notes', async () => {
    const ckpt = layout('q/xlora', { prose: 'q', code: 'q', math: 'q' });
    const ok = await xlora('inspect', ckpt, '--model', `${DEMO}/base`, '--adapter-root', join(tmp, 'q'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe('');
    const bad = await xlora('inspect', ckpt, '--model', `${DEMO}/base`, '--adapter-root', cwd);
    expect(bad.stderr.trimEnd().split('\n').at(-1)).toBe(
      `xlora: error: adapter "0": expert folder not found: path "experts/prose" (from ${ckpt}/adapter_config.json) resolves to ${cwd}/experts/prose, ` +
      'which has no adapter_config.json (PEFT resolves adapter paths against the working directory: set --adapter-root DIR, or replace the path with --adapter KEY=PATH)',
    );
  }, 60_000);
});
