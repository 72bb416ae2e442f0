import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantize, type HostTensor, type WeightTensor } from '@xlora/core';
import { afterAll, describe, expect, it } from 'vitest';
import { STORED_INITIALIZER_MIN_BYTES } from './flags.js';
import { createOnnxBackend } from './node-backend.js';
import { blockGraph } from './testing/block-graph.js';
import { matchesCpu } from './testing/compare.js';

const dims = { hidden: 256, intermediate: 1024, heads: 4, kvHeads: 2, experts: 2, rank: 4 };
const FORMAT: Record<string, 'q4_0' | 'q8_0'> = {
  'gate_proj.weight': 'q4_0', 'up_proj.weight': 'q4_0', 'down_proj.weight': 'q4_0', 'q_proj.weight': 'q8_0',
};
const { graph, weights: f32Weights, feeds } = blockGraph(dims);
const weights = new Map<string, WeightTensor>([...f32Weights].map(([k, t]) => [k, FORMAT[k] ? quantize(t as HostTensor<'f32'>, FORMAT[k], k) : t]));

/**
 * Bytes the weight file must hold for these weights, from the formats' definitions: a MatMul weight is stored
 * as its f32 transpose (N·K·4 bytes) or as MatMulNBits blocks (q4_0: N·K/2 bytes of nibbles) and f32 block scales
 * (N·K/32·4 bytes); 8-bit blocks (q8_0) are widened to the f32 transpose in the exact mode (EXACT_8BIT_MATMUL_NBITS
 * is off); each initializer of STORED_INITIALIZER_MIN_BYTES or more goes to the file.
 */
function storedBytes(): { sum: number; count: number } {
  let sum = 0, count = 0;
  const add = (n: number) => { if (n >= STORED_INITIALIZER_MIN_BYTES) { sum += n; count++; } };
  for (const [name, t] of weights) {
    const [n, k] = t.shape;
    if (t.shape.length !== 2) continue;
    const format = FORMAT[name];
    if (!format || format === 'q8_0') add(n * k * 4);
    else { add((n * k) / 2); add(((n * k) / 32) * 4); }
  }
  return { sum, count };
}

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
function freshRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'xlora-weight-file-test-'));
  roots.push(r);
  return r;
}

describe('weight file shared by sessions', () => {
  it('two sessions over the same weights compute backend-cpu numbers and the file holds each weight once', async () => {
    const root = freshRoot();
    const backend = await createOnnxBackend({ ep: 'cpu', weightDir: root });
    const [folder] = readdirSync(root);
    const file = join(root, folder, 'weights.bin');
    expect(await matchesCpu(backend, graph, weights, feeds(1, 3, 2))).toEqual([]);
    const afterOne = statSync(file).size;
    const { sum, count } = storedBytes();
    // page-aligned offsets: at most one page of padding between consecutive initializers
    expect(afterOne).toBeGreaterThanOrEqual(sum);
    expect(afterOne).toBeLessThanOrEqual(sum + (count - 1) * 4096);
    expect(await matchesCpu(backend, graph, weights, feeds(2, 1, 4, 9))).toEqual([]);
    expect(statSync(file).size).toBe(afterOne);
    expect(readdirSync(join(root, folder))).toEqual(['weights.bin']); // model files go once their session exists
    backend.dispose();
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  it('weights that are other tensors (same names) are written again, and give their own numbers', async () => {
    const root = freshRoot();
    const backend = await createOnnxBackend({ ep: 'cpu', weightDir: root });
    expect(await matchesCpu(backend, graph, weights, feeds(1, 2, 1))).toEqual([]);
    const file = join(root, readdirSync(root)[0], 'weights.bin');
    const once = statSync(file).size;
    const scaled = new Map(weights);
    const o = f32Weights.get('o_proj.weight')!;
    scaled.set('o_proj.weight', { ...o, data: o.data.map((v) => -2 * v) } as HostTensor);
    expect(await matchesCpu(backend, graph, scaled, feeds(1, 2, 1))).toEqual([]);
    // only the new o_proj (f32 [256, 256], stored transposed) is added, after at most one page of padding
    const added = statSync(file).size - once;
    expect(added).toBeGreaterThanOrEqual(256 * 256 * 4);
    expect(added).toBeLessThanOrEqual(256 * 256 * 4 + 4096);
    backend.dispose();
  }, 60_000);

  it('weightDir: null keeps the weights in memory (no file) and computes the same numbers', async () => {
    const root = freshRoot();
    const backend = await createOnnxBackend({ ep: 'cpu', weightDir: null });
    expect(await matchesCpu(backend, graph, weights, feeds(1, 3, 2))).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
    backend.dispose();
  }, 60_000);
});
