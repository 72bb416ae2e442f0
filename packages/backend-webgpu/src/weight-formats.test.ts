import { CpuBackend } from '@xlora/backend-cpu';
import {
  dequantize, floatToHalfBits, FORMAT_LAYOUT, GraphBuilder, i32, packed, quantize,
  type Backend, type Graph, type HostTensor, type PackedFormat, type PackedTensor, type WeightTensor,
} from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { opCases } from '../../testkit/src/op-cases.js';
import { randomF32, rng } from '../../testkit/src/random.js';
import { compareClose } from '../../testkit/src/tolerance.js';
import { flags } from './flags.js';
import { probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend, type WebGpuBackendOptions } from './webgpu-backend.js';

flags.validateRuns = true;
const probe = await probeWebGpu();
const skipNote = probe.skipReason ? ` (skipped: ${probe.skipReason})` : '';

/** The formats the WebGPU loaders read (q6_k is dequantized at compile, covered by the testkit suite). */
const FORMATS = ['f16', 'bf16', 'q8_0', 'q4_0', 'q4_k'] as const satisfies readonly PackedFormat[];
/** Same math as the dequantized weight, summed in another order. */
const TOL = { atol: 1e-4, rtol: 0 };

/**
 * Row lengths per format: whole blocks, and for q8_0/q4_0 an odd number of blocks (row bytes 102 / 54, so rows
 * start at 2-aligned, not 4-aligned, bytes); f16/bf16 also an odd row length (the scalar, non-vec4 kernels).
 */
const ROW_LENGTHS: Record<(typeof FORMATS)[number], number[]> = {
  f16: [36, 33], bf16: [36, 33], q8_0: [96], q4_0: [96], q4_k: [256],
};

/** Random bytes in every field, with the f16 scales set to moderate normal values (so no inf/NaN). */
function randomBlocks(format: 'q8_0' | 'q4_0' | 'q4_k', rows: number, cols: number, seed: number): PackedTensor {
  const rand = rng(seed);
  const { blockElems, blockBytes } = FORMAT_LAYOUT[format];
  const bytes = new Uint8Array((rows * cols / blockElems) * blockBytes);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  const setHalf = (o: number, v: number) => {
    const h = floatToHalfBits(v);
    bytes[o] = h & 0xff;
    bytes[o + 1] = h >>> 8;
  };
  for (let o = 0; o < bytes.length; o += blockBytes) {
    setHalf(o, (rand() * 2 - 1) * (format === 'q4_k' ? 0.002 : 0.01));
    if (format === 'q4_k') setHalf(o + 2, rand() * 0.002);
  }
  return packed(format, [rows, cols], bytes, `random ${format}`);
}

/** An f16 tensor that also holds subnormals (the smallest and largest), ±0 and the smallest normal. */
function halfWithEdges(rows: number, cols: number, seed: number): PackedTensor {
  const t = quantize(randomF32(rng(seed), [rows, cols], 2), 'f16', 'w');
  const edges = [0x0001, 0x03ff, 0x8001, 0x0000, 0x8000, 0x83ff, 0x0400, 0x8400];
  edges.forEach((h, i) => {
    t.bytes[2 * i * 3] = h & 0xff;
    t.bytes[2 * i * 3 + 1] = h >>> 8;
  });
  return t;
}

function weightOf(format: (typeof FORMATS)[number], rows: number, cols: number, seed: number): PackedTensor {
  if (format === 'f16') return halfWithEdges(rows, cols, seed);
  if (format === 'bf16') return quantize(randomF32(rng(seed), [rows, cols], 0.5), 'bf16', 'w');
  return seed % 2 ? randomBlocks(format, rows, cols, seed) : quantize(randomF32(rng(seed), [rows, cols], 0.5), format, 'w');
}

async function runY(backend: Backend, graph: Graph, weights: Map<string, WeightTensor>, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const exe = await backend.compile(graph, weights);
  try {
    return await backend.read((await backend.run(exe, feeds)).y);
  } finally {
    exe.dispose();
  }
}

/** Runs on `backend` with the packed weights and on backend-cpu with them dequantized to f32. */
async function compare(backend: Backend, label: string, graph: Graph, weights: Map<string, WeightTensor>,
  feeds: Record<string, HostTensor>, tol: { atol: number; rtol: number }): Promise<string[]> {
  const dense = new Map([...weights].map(([k, v]) => [k, dequantize(v)] as const));
  const want = await runY(new CpuBackend(), graph, dense, feeds);
  const got = await runY(backend, graph, weights, feeds);
  if (got.shape.join() !== want.shape.join()) return [`${label}: shape [${got.shape}] != [${want.shape}]`];
  const r = compareClose(label, got.data, want.data, tol);
  return r.ok ? [] : [r.message];
}

function matmulCase(format: (typeof FORMATS)[number], rows: number[], k: number, n: number, seed: number, bias: boolean) {
  const rand = rng(seed + 1000);
  const g = new GraphBuilder('mm');
  const x = g.input('x', 'f32', [...rows, k]);
  g.output('y', g.matmul(x, g.weight('w', [n, k]), bias ? g.weight('b', [n]) : undefined, 'y'));
  const weights = new Map<string, WeightTensor>([['w', weightOf(format, n, k, seed)]]);
  if (bias) weights.set('b', randomF32(rand, [n], 0.1));
  return { label: `${format} MatMul x[${rows},${k}] · w[${n},${k}]${bias ? ' + b' : ''}`, graph: g.build(), weights, feeds: { x: randomF32(rand, [...rows, k]) } };
}

function gatherCase(format: (typeof FORMATS)[number], vocab: number, h: number, seed: number) {
  const g = new GraphBuilder('gather');
  g.output('y', g.gather(g.weight('table', [vocab, h]), g.input('ids', 'i32', [2, 3]), 'y'));
  const ids = i32([2, 3], [vocab - 1, 0, 7, 7, Math.floor(vocab / 2), vocab - 2]);
  return { label: `${format} Gather table[${vocab},${h}]`, graph: g.build(), weights: new Map<string, WeightTensor>([['table', weightOf(format, vocab, h, seed)]]), feeds: { ids } };
}

async function withBackend(options: WebGpuBackendOptions, body: (b: Backend) => Promise<string[]>): Promise<string[]> {
  const b = await createWebGpuBackend(options);
  try {
    return await body(b);
  } finally {
    b.dispose();
  }
}

describe.skipIf(!!probe.skipReason)(`webgpu: packed weights read in place${skipNote}`, () => {
  it('states the formats it computes from', async () => {
    const failures = await withBackend({}, async (b) => {
      expect(b.info.weightFormats).toEqual(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k']);
      return [];
    });
    expect(failures).toEqual([]);
  });

  for (const format of FORMATS) {
    // cpu profile: the barrier-free direct kernel; gpu profile: gemv (rows <= 4) and the tiled GEMMs (small, large M)
    it.each(['cpu', 'gpu'] as const)(`${format} MatMul (%s profile): decode and prefill rows, odd weight rows, vs backend-cpu on the dequantized weight`, async (profile) => {
      const failures = await withBackend({ profile }, async (b) => {
        const out: string[] = [];
        let seed = 1;
        for (const k of ROW_LENGTHS[format]) {
          for (const [rows, n] of [[[1], 13], [[3], 7], [[2, 9], 21], [[37], 5]] as [number[], number][]) {
            const c = matmulCase(format, rows, k, n, seed++, n % 2 === 1);
            out.push(...(await compare(b, `${c.label} (${profile})`, c.graph, c.weights, c.feeds, TOL)));
          }
        }
        return out;
      });
      expect(failures).toEqual([]);
    }, 120_000);

    it(`${format} MatMul and Gather with the weight split by rows across bindings`, async () => {
      const k = ROW_LENGTHS[format][ROW_LENGTHS[format].length - 1];
      // small bindings (4 KiB, 8 KiB for q4_k's long rows): the weight takes 4 chunks, whose byte starts in the
      // file are not word-aligned for q8_0, q4_0 and odd-length f16/bf16 rows
      const limit = Math.max(4096, 8 * k * 4);
      const n = Math.ceil((3 * limit) / ((k / FORMAT_LAYOUT[format].blockElems) * FORMAT_LAYOUT[format].blockBytes)) + 1;
      const failures: string[] = [];
      for (const profile of ['cpu', 'gpu'] as const) {
        failures.push(...(await withBackend({ profile, limits: { maxStorageBufferBindingSize: limit } }, async (b) => {
          const out: string[] = [];
          for (const [rows, seed] of [[[1], 2], [[3], 3]] as [number[], number][]) {
            const c = matmulCase(format, rows, k, n, seed, true);
            out.push(...(await compare(b, `${c.label} split (${profile})`, c.graph, c.weights, c.feeds, TOL)));
          }
          const gc = gatherCase(format, n, k, 5);
          out.push(...(await compare(b, `${gc.label} split (${profile})`, gc.graph, gc.weights, gc.feeds, { atol: 0, rtol: 0 })));
          return out;
        })));
      }
      expect(failures).toEqual([]);
    }, 120_000);

    it(`${format} Gather rows are the dequantized rows, bit for bit`, async () => {
      const failures = await withBackend({}, async (b) => {
        const out: string[] = [];
        for (const [i, h] of ROW_LENGTHS[format].entries()) {
          for (const seed of [7 + i, 8 + i]) {
            const c = gatherCase(format, 37, h, seed);
            out.push(...(await compare(b, c.label, c.graph, c.weights, c.feeds, { atol: 0, rtol: 0 })));
          }
        }
        return out;
      });
      expect(failures).toEqual([]);
    }, 60_000);
  }
});

describe.skipIf(!!probe.skipReason)(`webgpu: packed weights with other uses${skipNote}`, () => {
  it('a norm weight given as bf16/f16 is dequantized for RmsNorm; a tied q8_0 embedding feeds Gather and the head in place', async () => {
    const h = 64, vocab = 19;
    const g = new GraphBuilder('tied');
    const ids = g.input('ids', 'i32', [1, 3]);
    const emb = g.weight('emb', [vocab, h]);
    const x = g.gather(emb, ids, 'x');
    const n1 = g.rmsNorm(x, g.weight('norm', [h]), { eps: 1e-5 }, 'n1');
    const n2 = g.rmsNorm(n1, g.weight('norm16', [h]), { eps: 1e-5 }, 'n2');
    g.output('y', g.matmul(n2, emb, undefined, 'y'));
    const rand = rng(77);
    const weights = new Map<string, WeightTensor>([
      ['emb', quantize(randomF32(rand, [vocab, h], 1), 'q8_0', 'emb')],
      ['norm', quantize(randomF32(rand, [h], 1), 'bf16', 'norm')],
      ['norm16', quantize(randomF32(rand, [h], 1), 'f16', 'norm16')],
    ]);
    const failures = await withBackend({}, (b) => compare(b, 'tied', g.build(), weights, { ids: i32([1, 3], [18, 0, 5]) }, TOL));
    expect(failures).toEqual([]);
  });

  it('X-LoRA mixture with f16 / bf16 expert matrices (the F16-experts option) read in place', async () => {
    const failures = await withBackend({}, async (b) => {
      const out: string[] = [];
      for (const c of opCases().filter((o) => o.name.startsWith('XLoraMixture'))) {
        for (const format of ['f16', 'bf16'] as const) {
          const weights = new Map<string, WeightTensor>([...c.weights].map(([k, v]) => [k, quantize(v as HostTensor<'f32'>, format, k)] as const));
          out.push(...(await compare(b, `${c.name} ${format}`, c.graph, weights, c.feeds, TOL)));
        }
      }
      return out;
    });
    expect(failures).toEqual([]);
  }, 60_000);
});
