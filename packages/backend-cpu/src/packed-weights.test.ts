import { dequantize, f32, GraphBuilder, i32, isPacked, packed, quantize, type HostTensor, type PackedFormat, type PackedTensor } from '@xlora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu-backend.js';
import { gather } from './kernels/gather.js';
import { matmul } from './kernels/matmul.js';
import { simdKernel, useSimdMatmul } from './kernels/simd/simd-matmul.js';

const FORMATS: readonly PackedFormat[] = ['f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q6_k'];

function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/**
 * A single row of x (decode) takes the fused dots (kernels/row-dot.ts). For f16/bf16 they form each product and the
 * in-order sum as the TypeScript f32 kernel does over the decoded rows: equal bit for bit (the SIMD f32 kernel sums
 * in f32 lanes instead: to 1e-6 of Σ|x·w|). The block formats sum q·x per block and scale once, so they equal the
 * dequantized dot up to f64 rounding, to far below f32 resolution of Σ|x·w|; more rows of x decode the rows (exact).
 */
const EXACT = new Set<PackedFormat>(['f16', 'bf16']);

function expectMatmul(format: PackedFormat, got: HostTensor, want: HostTensor, x: HostTensor, wf: HostTensor, bias?: HostTensor): void {
  const [n, k] = wf.shape;
  const rows = x.data.length / k;
  if ((EXACT.has(format) && simdKernel() === null) || rows > 1) {
    expect([...got.data]).toEqual([...want.data]);
    return;
  }
  for (let c = 0; c < n; c++) {
    let scale = Math.abs(bias?.data[c] ?? 0);
    for (let i = 0; i < k; i++) scale += Math.abs(x.data[i] * wf.data[c * k + i]);
    expect(Math.abs(got.data[c] - want.data[c]), `${format} output ${c}`).toBeLessThanOrEqual(1e-6 * scale);
  }
}

for (const simd of [true, false]) describe(`cpu kernels read packed weights straight from their blocks (SIMD matmul ${simd ? 'on' : 'off'})`, () => {
  beforeAll(() => useSimdMatmul(simd));
  afterAll(() => useSimdMatmul(true));

  it('matmul with a hand-built q8_0 weight: Σ x·q·d', () => {
    const bytes = new Uint8Array(34);
    bytes[1] = 0x38; // d = 0.5
    for (let i = 0; i < 32; i++) bytes[2 + i] = (i - 16) & 0xff;
    const w = packed('q8_0', [1, 32], bytes);
    // x = 1: 0.5·Σ(i − 16) = 0.5·(496 − 512) = −8; x = i: 0.5·Σ i(i − 16) = 0.5·(10416 − 7936) = 1240
    const y = matmul(f32([2, 32], [...new Array(32).fill(1), ...Array.from({ length: 32 }, (_, i) => i)]), w);
    expect([...y.data]).toEqual([-8, 1240]);
  });

  for (const format of FORMATS) {
    it(`${format}: matmul and gather equal the dequantized-f32 kernels${EXACT.has(format) ? ' exactly' : ' (decode: to 1e-6 of Σ|x·w|)'}`, () => {
      // n = 7 rows: one tile of four and a tail of three; 1, 2 and 3 rows of x: pairs and a single row
      const w = quantize(f32([7, 512], values(7 * 512, 1, 0.1)), format);
      const wf = dequantize(w);
      for (const rows of [1, 2, 3]) {
        const x = f32([rows, 512], values(rows * 512, rows + 10));
        const bias = f32([7], values(7, 3));
        expectMatmul(format, matmul(x, w, bias), matmul(x, wf, bias), x, wf, bias);
        expectMatmul(format, matmul(x, w), matmul(x, wf), x, wf);
      }
      const ids = i32([2, 3], [6, 0, 3, 3, 1, 5]);
      expect([...gather(w, ids).data]).toEqual([...gather(wf, ids).data]);
      expect(() => gather(w, i32([1, 1], [7]))).toThrow('token id 7 at flat position 0 is outside the vocabulary [0, 7)');
    });
  }

  for (const format of FORMATS) {
    it(`${format}: one row of x over 2048-wide rows and over the same bytes at an odd address`, () => {
      const w = quantize(f32([8, 2048], values(8 * 2048, 5, 0.05)), format);
      const wf = dequantize(w);
      const x = f32([1, 2048], values(2048, 6));
      expectMatmul(format, matmul(x, w), matmul(x, wf), x, wf);
      // the same bytes one address further on: no in-place 16/32-bit view (q8_0 reads bytes, the others decode rows)
      const shifted = new Uint8Array(w.bytes.length + 1).subarray(1);
      shifted.set(w.bytes);
      expectMatmul(format, matmul(x, packed(format, w.shape, shifted)), matmul(x, wf), x, wf);
    });
  }

  it('advertises every format; compile keeps MatMul/Gather weights packed and widens other uses once', async () => {
    const cpu = new CpuBackend();
    expect([...cpu.info.weightFormats].sort()).toEqual(['bf16', 'f16', 'f32', 'q4_0', 'q4_k', 'q6_k', 'q8_0']);
    const g = new GraphBuilder('t');
    const h = g.gather(g.weight('emb', [8, 256]), g.input('ids', 'i32', ['b', 's']));
    const n = g.rmsNorm(h, g.weight('norm', [256]), { eps: 1e-5 });
    const y = g.matmul(n, g.weight('w', [4, 256]));
    const sq = g.matmul(y, g.weight('w2', [4, 4]), undefined, 'y'); // an f32 weight beside packed ones
    g.output('y', sq);
    const graph = g.build();
    const q = (shape: number[], format: PackedFormat, seed: number) => quantize(f32(shape, values(shape[0] * (shape[1] ?? 1), seed)), format);
    const emb = q([8, 256], 'q4_k', 1), w = q([4, 256], 'q6_k', 2);
    const norm = quantize(f32([256], values(256, 3)), 'bf16');
    const w2 = f32([4, 4], values(16, 4));
    const weights = new Map<string, PackedTensor | typeof w2>([['emb', emb], ['norm', norm], ['w', w], ['w2', w2]]);
    const heldBy = async () => (await cpu.compile(graph, weights) as unknown as { weights: ReadonlyMap<string, PackedTensor> }).weights;
    const held = await heldBy();
    expect(held.get('emb')).toBe(emb); // Gather table: packed
    expect(held.get('w')).toBe(w); // MatMul weight: packed
    expect(isPacked(held.get('norm')!)).toBe(false); // RmsNorm weight: dequantized ...
    expect(held.get('norm')).toBe((await heldBy()).get('norm')); // ... once per tensor
    const exe = await cpu.compile(graph, weights);
    const feeds = { ids: i32([1, 3], [7, 0, 2]) };
    const got = await cpu.read((await cpu.run(exe, feeds)).y);
    const wide = await cpu.compile(graph, new Map([['emb', dequantize(emb)], ['norm', dequantize(norm)], ['w', dequantize(w)], ['w2', w2]]));
    const want = await cpu.read((await cpu.run(wide, feeds)).y);
    expect([...got.data]).toEqual([...want.data]);
  });
});
