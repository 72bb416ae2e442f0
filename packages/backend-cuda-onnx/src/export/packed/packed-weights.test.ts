import { dequantize, encodeBf16, encodeHalf, floatToHalfBits, GraphBuilder, packed, type Backend, type HostTensor, type PackedFormat, type PackedTensor, type WeightTensor } from '@xlora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from '../../node-backend.js';
import { blockGraphFeeds } from '../../testing/packed-cases.js';
import { closeFailures, cpuReference } from '../../testing/compare.js';
import { createOrtWebBackend } from '../../web/index.js';
import { graphToModel } from '../export-graph.js';

const K = 512, N = 40, V = 40;

/** Deterministic bytes (mulberry32). */
function bytesOf(seed: number, n: number): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  });
}

function putHalf(b: Uint8Array, at: number, v: number): void {
  const h = floatToHalfBits(v);
  b[at] = h & 0xff;
  b[at + 1] = h >>> 8;
}

/**
 * A [rows, cols] weight of random valid blocks: random quant bytes, f16 block scales set to small values (a random
 * f16 would be inf/NaN or huge), so every bit pattern of the format's quant fields is exercised.
 */
function randomPacked(format: PackedFormat, rows: number, cols: number, seed: number): PackedTensor {
  const rnd = bytesOf(seed, rows * cols * 4);
  if (format === 'f16' || format === 'bf16') {
    const values = Float32Array.from({ length: rows * cols }, (_, i) => (rnd[i] - 128) / 517);
    const h = (format === 'f16' ? encodeHalf : encodeBf16)(values);
    return packed(format, [rows, cols], new Uint8Array(h.buffer), 'w');
  }
  const blockBytes = { q8_0: 34, q4_0: 18, q4_k: 144, q6_k: 210 }[format];
  const blockElems = format === 'q4_k' || format === 'q6_k' ? 256 : 32;
  const blocks = (rows * cols) / blockElems;
  const b = rnd.slice(0, blocks * blockBytes);
  for (let i = 0; i < blocks; i++) {
    const o = i * blockBytes;
    const d = (0.002 + (rnd[rows * cols + i] / 255) * 0.01) * (i % 3 === 0 ? -1 : 1);
    if (format === 'q6_k') putHalf(b, o + 208, d);
    else putHalf(b, o, d);
    if (format === 'q4_k') putHalf(b, o + 2, Math.abs(d) * 0.7);
  }
  return packed(format, [rows, cols], b, 'w');
}

/** y = x · wᵀ and e = rows `ids` of the same weight used as a table. */
function caseGraph() {
  const g = new GraphBuilder('packed-weight');
  const x = g.input('x', 'f32', ['batch', 'seq', K]);
  const w = g.weight('w', [N, K]);
  const t = g.weight('table', [V, K]);
  g.output('y', g.matmul(x, w, undefined, 'y'));
  g.output('e', g.gather(t, g.input('ids', 'i32', ['batch', 'seq']), 'e'));
  return g.build();
}

const FORMATS: PackedFormat[] = ['q4_0', 'q8_0', 'q4_k', 'q6_k', 'f16', 'bf16'];
const NATIVE_MATMUL: Partial<Record<PackedFormat, string>> = { q4_0: 'MatMulNBits', q8_0: 'MatMulNBits', q4_k: 'MatMulNBits', q6_k: 'MatMulNBits' };
/** 8-bit blocks: MatMulNBits only with an accuracy level; the exact mode widens them to f32 (EXACT_8BIT_MATMUL_NBITS). */
const EIGHT_BIT: PackedFormat[] = ['q8_0', 'q6_k'];

describe('packed weights in the exported model', () => {
  for (const format of FORMATS) {
    it(`${format}: MatMul and Gather keep the stored format`, () => {
      const weights = new Map<string, WeightTensor>([['w', randomPacked(format, N, K, 1)], ['table', randomPacked(format, V, K, 2)]]);
      const model = graphToModel(caseGraph(), weights, EIGHT_BIT.includes(format) ? { matMulNBitsAccuracyLevel: 4 } : {});
      const ops = model.graph!.node.map((n) => n.opType);
      if (EIGHT_BIT.includes(format)) {
        const exact = graphToModel(caseGraph(), weights);
        const exactOps = exact.graph!.node.map((n) => n.opType);
        expect(exactOps).not.toContain('MatMulNBits');
        expect(exactOps).toContain('GatherBlockQuantized');
        expect(exact.graph!.initializer.some((t) => t.dataType === 1 && t.dims.join() === `${K},${N}`)).toBe(true); // the f32 [K,N] weight
      }
      if (NATIVE_MATMUL[format]) {
        expect(ops).toContain('MatMulNBits');
        expect(ops).toContain('GatherBlockQuantized');
        expect(model.graph!.initializer.some((t) => t.dataType === 1 && t.dims.join() === `${K},${N}`)).toBe(false); // no f32 [K,N] copy
      } else {
        expect(ops).toContain('Cast'); // the half-precision table is gathered, then widened
        const table = model.graph!.initializer.find((t) => t.dims.join() === `${V},${K}`)!;
        expect(table.dataType).toBe(format === 'f16' ? 10 : 16);
      }
    });
  }

  it('writes accuracy_level only when asked', () => {
    const weights = new Map<string, WeightTensor>([['w', randomPacked('q4_0', N, K, 1)], ['table', randomPacked('q4_0', V, K, 2)]]);
    const level = (m: ReturnType<typeof graphToModel>) => m.graph!.node.find((n) => n.opType === 'MatMulNBits')!.attribute.find((a) => a.name === 'accuracy_level')?.i;
    expect(level(graphToModel(caseGraph(), weights))).toBeUndefined();
    expect(level(graphToModel(caseGraph(), weights, { matMulNBitsAccuracyLevel: 4 }))).toBe(4n);
  });
});

const targets: [string, () => Promise<Backend>][] = [
  ['onnxruntime-node cpu EP', () => createOnnxBackend({ ep: 'cpu' })],
  ['onnxruntime-web wasm (Node)', () => createOrtWebBackend({ ep: 'wasm' })],
];
for (const [label, create] of targets) {
  describe(`packed weights on ${label} equal the dequantized weights on backend-cpu`, () => {
    let backend: Backend;
    beforeAll(async () => { backend = await create(); });
    afterAll(() => backend?.dispose());
    for (const format of FORMATS) {
      for (const [batch, seq] of [[1, 1], [2, 3]]) {
        it(`${format}, batch ${batch} × seq ${seq}`, async () => {
          const w = randomPacked(format, N, K, 11), table = randomPacked(format, V, K, 12);
          const graph = caseGraph();
          const feeds = blockGraphFeeds(batch, seq, K, V, 5);
          const want = await cpuReference(graph, new Map<string, HostTensor>([['w', dequantize(w)], ['table', dequantize(table)]]), feeds);
          const exe = await backend.compile(graph, new Map<string, WeightTensor>([['w', w], ['table', table]]));
          const got = await backend.run(exe, feeds);
          const failures = [
            ...closeFailures('y', await backend.read(got.y), want.y),
            ...closeFailures('e', await backend.read(got.e), want.e),
          ];
          exe.dispose();
          expect(failures).toEqual([]);
          // the table rows are the decoder's values to the last bit (only one rounding: scale·q, then − min)
          const e = await backend.read(got.e);
          if (format !== 'q6_k' && format !== 'q8_0') expect(Array.from(e.data)).toEqual(Array.from(want.e.data));
        });
      }
    }
  });
}

