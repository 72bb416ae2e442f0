import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nodeFileSource, openGguf } from '@xlora/model';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../models/xlora-demo', import.meta.url));
const FIX = fileURLToPath(new URL('../../../test-data/peft-xlora', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'xlora-quantize-'));

async function xlora(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(TSX, [MAIN, ...args], { cwd: tmp, env: { ...process.env, INIT_CWD: tmp, NO_COLOR: '1' } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('xlora quantize', () => {
  it('q4_k_m: writes a GGUF with llama.cpp\'s mix (Q6_K head, attn_v/ffn_down of layers 2-3), norms F32', async () => {
    const r = await xlora('quantize', '--model', join(DEMO, 'base'), '--dtype', 'q4_k_m', '--out', 'demo.gguf');
    expect(r.code).toBe(0);
    // 5 Q6_K = output + attn_v and ffn_down of layers 2, 3; the other 25 matrices Q4_K; 9 norms F32
    expect(r.stderr).toMatch(/^wrote .*demo\.gguf: 39 tensors \(5 q6_k, 25 q4_k, 9 f32\), [\d.]+ MiB in [\d.]+ s\n$/);
    const g = await openGguf(nodeFileSource(tmp), 'demo.gguf');
    const formats = Object.fromEntries(g.tensors.map((t) => [t.name, t.format]));
    expect(formats['output.weight']).toBe('q6_k');
    expect([0, 1, 2, 3].map((l) => formats[`blk.${l}.ffn_down.weight`])).toEqual(['q4_k', 'q4_k', 'q6_k', 'q6_k']);
    expect(formats['output_norm.weight']).toBe('f32');
    expect(g.metadata.get('general.architecture')?.value).toBe('llama');
    expect(g.metadata.get('general.file_type')?.value).toBe(15); // LLAMA_FTYPE_MOSTLY_Q4_K_M
    expect(existsSync(join(tmp, 'demo.gguf.partial'))).toBe(false);
  }, 60_000);

  it('refuses an --out that is not .gguf and a model without tokenizer.json, leaving no file', async () => {
    const bad = await xlora('quantize', '--model', join(DEMO, 'base'), '--dtype', 'f16', '--out', 'demo.bin');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('xlora: error: --out demo.bin: expected a file name ending in .gguf\n');
    const noTok = await xlora('quantize', '--model', join(FIX, 'base'), '--dtype', 'f16', '--out', 'fix.gguf');
    expect(noTok.code).toBe(1);
    expect(noTok.stderr).toBe(`xlora: error: ${join(FIX, 'base')}/tokenizer.json: file not found (a GGUF file carries its tokenizer; llama.cpp needs one)\n`);
    expect(existsSync(join(tmp, 'fix.gguf'))).toBe(false);
    expect(existsSync(join(tmp, 'fix.gguf.partial'))).toBe(false);
  }, 60_000);
});
