import { CpuBackend } from '@xlora/backend-cpu';
import {
  BackendError, f32, GraphBuilder, i32, registerBackend, resolveBackend, type Backend, type DeviceTensor, type Graph,
  type HostTensor, type OpAttrs,
} from '@xlora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpCase } from '../../testkit/src/op-check.js';
import { opCases, type OpCase } from '../../testkit/src/op-cases.js';
import { randomF32, rng } from '../../testkit/src/random.js';
import { compareClose, FIXTURE_TOLERANCE } from '../../testkit/src/tolerance.js';
import { flags } from './flags.js';
import { PipelineCache } from './pipelines.js';
import { WebGpuTensor } from './tensor.js';
import { probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend, WebGpuBackend } from './webgpu-backend.js';

flags.validateRuns = true;
const probe = await probeWebGpu();
const gpu = describe.skipIf(!!probe.skipReason);
const skipNote = probe.skipReason ? ` (skipped: ${probe.skipReason})` : '';

async function cpuRun(c: { graph: Graph; weights: Map<string, HostTensor> }, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const cpu = new CpuBackend();
  const out = await cpu.run(await cpu.compile(c.graph, c.weights), feeds);
  const r: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(out)) r[k] = await cpu.read(v);
  return r;
}

function expectClose(label: string, got: HostTensor, want: HostTensor, tol = FIXTURE_TOLERANCE): void {
  expect(got.shape).toEqual(want.shape);
  const r = compareClose(label, got.data, want.data, tol);
  expect(r.ok, r.message).toBe(true);
}

function matmulGraph(rows: number[], k: number, n: number, seed: number, bias = false): OpCase {
  const rand = rng(seed);
  const g = new GraphBuilder('mm');
  const weights = new Map<string, HostTensor>([['w', randomF32(rand, [n, k], 0.5)]]);
  if (bias) weights.set('b', randomF32(rand, [n]));
  const x = g.input('x', 'f32', [...rows, k]);
  g.output('y', g.matmul(x, g.weight('w', [n, k]), bias ? g.weight('b', [n]) : undefined, 'y'));
  return { name: `matmul ${rows}x${k}x${n}`, graph: g.build(), weights, feeds: { x: randomF32(rand, [...rows, k]) } };
}

describe(`webgpu: starting${skipNote}`, () => {
  it('no WebGPU entry point -> BackendError "WebGPU is not available" naming what was tried', async () => {
    const err = await createWebGpuBackend({ gpu: null }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/^WebGPU is not available: tried options\.gpu = null/);
  });

  it('an adapter request that finds nothing -> BackendError saying requestAdapter() returned null', async () => {
    const fake = { requestAdapter: async () => null, getPreferredCanvasFormat: () => 'rgba8unorm' } as unknown as GPU;
    const err = await createWebGpuBackend({ gpu: fake }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/WebGPU is not available: .*requestAdapter\(\) returned null/);
  });

  it('the registry reports the failure among the candidates', async () => {
    registerBackend('webgpu-missing', () => createWebGpuBackend({ gpu: null }), -1);
    const err = await resolveBackend(['webgpu-missing']).catch((e) => e);
    expect(err.message).toMatch(/webgpu-missing: WebGPU is not available/);
  });
});

gpu(`webgpu: device and errors${skipNote}`, () => {
  it('describes the adapter in info.device and registers as "webgpu"', async () => {
    await import('./register.js');
    const b = await resolveBackend(['webgpu']);
    expect(b.info.name).toBe('webgpu');
    expect(b.info.device.length).toBeGreaterThan(3);
    b.dispose();
  });

  it('a lost device rejects later calls with a clear BackendError (no hang)', async () => {
    const b = await createWebGpuBackend();
    const c = opCases()[1];
    const exe = await b.compile(c.graph, c.weights);
    const out = await b.run(exe, c.feeds);
    const pending = b.read(out.y);
    b.device.destroy();
    await expect(pending).rejects.toThrow(/WebGPU device lost/);
    await expect(b.run(exe, c.feeds)).rejects.toThrow(/WebGPU device lost \(destroyed\)/);
    await expect(b.read(out.y)).rejects.toThrow(BackendError);
    await expect(b.compile(c.graph, c.weights)).rejects.toThrow(/device lost/);
    b.dispose();
  });

  it('a disposed backend rejects calls', async () => {
    const b = await createWebGpuBackend();
    b.dispose();
    const c = opCases()[1];
    await expect(b.compile(c.graph, c.weights)).rejects.toThrow(/disposed/);
  });

  it('WGSL compile errors name the kernel and carry the compiler message', async () => {
    const b = await createWebGpuBackend();
    const cache = new PipelineCache(b.device);
    const err = await cache.ensure({ key: 'broken|1', name: 'broken-kernel', storage: [], code: 'fn main( { let x = ; }' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/WGSL kernel "broken-kernel" .*failed to compile: line \d+:\d+: /);
    b.dispose();
  });

  it('a weight over maxStorageBufferBindingSize that cannot be split names the tensor, its bytes and the limit', async () => {
    const b = await createWebGpuBackend({ limits: { maxStorageBufferBindingSize: 1024 } });
    const g = new GraphBuilder('big');
    g.output('y', g.addT(g.input('x', 'f32', [300]), g.weight('bias.big', [300]), 'y'));
    const err = await b.compile(g.build(), new Map([['bias.big', f32([300])]])).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/weight "bias\.big" \[300\] is 1200 bytes \(f32\), more than maxStorageBufferBindingSize 1024/);
    b.dispose();
  });
});

gpu(`webgpu: kernels beyond the op suite${skipNote}`, () => {
  let b: WebGpuBackend;
  beforeAll(async () => {
    b = await createWebGpuBackend();
  });
  afterAll(() => b?.dispose());

  it('every op case with maxComputeWorkgroupsPerDimension = 8 (2-D dispatch grids)', async () => {
    const small = await createWebGpuBackend({ limits: { maxComputeWorkgroupsPerDimension: 8 } });
    const failures: string[] = [];
    for (const c of opCases()) failures.push(...(await checkOpCase(small, c)));
    small.dispose();
    expect(failures).toEqual([]);
  });

  it('Gather tables and MatMul weights over the binding limit are split by rows', async () => {
    const split = await createWebGpuBackend({ limits: { maxStorageBufferBindingSize: 8192 } });
    const cases = [opCases().find((c) => c.name === 'Gather')!, matmulGraph([2, 5], 64, 130, 21, true), matmulGraph([1, 1], 64, 130, 22)];
    const failures: string[] = [];
    for (const c of cases) failures.push(...(await checkOpCase(split, c)));
    split.dispose();
    expect(failures).toEqual([]);
  });

  it.each(['cpu', 'gpu'] as const)('MatMul (%s profile): decode rows, small and large tiles, vec4 and scalar K, ragged edges', async (profile) => {
    const pb = await createWebGpuBackend({ profile });
    const failures: string[] = [];
    for (const [rows, k, n] of [[[3], 8, 5], [[4], 36, 9], [[1, 7], 33, 70], [[2, 20], 64, 65], [[70], 96, 130], [[1, 45], 35, 19], [[129], 16, 3]] as [number[], number, number][]) {
      failures.push(...(await checkOpCase(pb, matmulGraph(rows, k, n, k + n, n % 2 === 1))));
    }
    pb.dispose();
    expect(failures).toEqual([]);
  });

  it('Rope at large positions matches f32(pos · invFreq) and exact sin/cos', async () => {
    const headDim = 64, heads = 2;
    const invFreq = Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.pow(500000, (2 * i) / headDim));
    const g = new GraphBuilder('rope');
    const x = g.input('x', 'f32', [1, 8, heads * headDim]);
    g.output('y', g.rope(x, g.input('pos', 'i32', [1, 8]), { numHeads: heads, headDim, invFreq, attentionFactor: 1.25 }, 'y'));
    const c: OpCase = { name: 'rope far', graph: g.build(), weights: new Map(), feeds: {
      x: randomF32(rng(3), [1, 8, heads * headDim]), pos: i32([1, 8], [0, 1, 255, 4095, 4097, 8191, 20000, 32767]),
    } };
    expect(await checkOpCase(b, c)).toEqual([]);
  });

  it('Rope with positions only on the device (computed angles, no host table)', async () => {
    const headDim = 16, heads = 2;
    const invFreq = Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / headDim));
    const g = new GraphBuilder('rope-dev');
    g.output('y', g.rope(g.input('x', 'f32', [2, 3, heads * headDim]), g.input('pos', 'i32', [2, 3]), { numHeads: heads, headDim, invFreq, attentionFactor: 1 }, 'y'));
    const graph = g.build();
    const feeds = { x: randomF32(rng(9), [2, 3, heads * headDim]), pos: i32([2, 3], [0, 1, 2, 17, 150, 299]) };
    const exe = await b.compile(graph, new Map());
    const got = await b.read((await b.run(exe, { x: feeds.x, pos: b.upload(feeds.pos) })).y);
    expectClose('rope (device positions)', got, (await cpuRun({ graph, weights: new Map() }, feeds)).y);
  });

  it('Attention: head dims above and below the workgroup, long caches, fully masked rows', async () => {
    const failures: string[] = [];
    const cases: [number, number, number, number, number, number, number[]][] = [
      // batch, seq, past, heads, kvHeads, headDim, left pads
      [1, 1, 150, 4, 1, 128, [0]],
      [2, 3, 70, 2, 2, 12, [0, 71]],
      [1, 70, 0, 2, 1, 32, [5]],
      [2, 1, 0, 2, 1, 8, [1, 0]],
    ];
    for (const [batch, seq, past, heads, kvHeads, hd, pads] of cases) {
      const rand = rng(batch * 100 + seq + past);
      const g = new GraphBuilder('attn');
      const attrs: OpAttrs['Attention'] = { numHeads: heads, numKvHeads: kvHeads, headDim: hd, scale: 1 / Math.sqrt(hd) };
      const feeds: Record<string, HostTensor> = {
        q: randomF32(rand, [batch, seq, heads * hd]), k: randomF32(rand, [batch, seq, kvHeads * hd]), v: randomF32(rand, [batch, seq, kvHeads * hd]),
        past_k: randomF32(rand, [batch, kvHeads, past, hd]), past_v: randomF32(rand, [batch, kvHeads, past, hd]),
        mask: i32([batch, past + seq], Array.from({ length: batch * (past + seq) }, (_, i) => (i % (past + seq) < pads[Math.floor(i / (past + seq))] ? 0 : 1))),
      };
      const v = (n: string) => g.input(n, feeds[n].dtype, feeds[n].shape);
      const [o, pk, pv] = g.attention(v('q'), v('k'), v('v'), v('past_k'), v('past_v'), v('mask'), attrs, { out: 'out', presentK: 'pk', presentV: 'pv' });
      g.output('out', o);
      g.output('pk', pk);
      g.output('pv', pv);
      failures.push(...(await checkOpCase(b, { name: `attention b${batch} s${seq} p${past} hd${hd}`, graph: g.build(), weights: new Map(), feeds })));
    }
    expect(failures).toEqual([]);
  });

  it('zero-size tensors: empty caches upload, run and read back with their logical shape', async () => {
    const t = b.upload(f32([2, 3, 0, 4]));
    expect(t.shape).toEqual([2, 3, 0, 4]);
    const h = await b.read(t);
    expect(h.shape).toEqual([2, 3, 0, 4]);
    expect(h.data.length).toBe(0);
    b.release(t);
    const g = new GraphBuilder('slice-empty');
    g.output('y', g.slice(g.input('x', 'f32', [2, 4]), { axis: 1, start: 2, end: 2 }, 'y'));
    const exe = await b.compile(g.build(), new Map());
    const out = await b.run(exe, { x: f32([2, 4]) });
    expect((await b.read(out.y)).shape).toEqual([2, 0]);
  });

  it('device tensors feed later runs without a copy; reshape aliases the buffer', async () => {
    const g = new GraphBuilder('chain');
    const x = g.input('x', 'f32', [2, 3]);
    const r = g.reshape(g.relu(x), [3, 2], 'r');
    g.output('r', r);
    const exe = await b.compile(g.build(), new Map());
    const a = await b.run(exe, { x: f32([2, 3], [1, -2, 3, -4, 5, -6]) });
    const g2 = new GraphBuilder('neg');
    const y = g2.input('y', 'f32', [3, 2]);
    g2.output('z', g2.mul(y, y, 'z'));
    const exe2 = await b.compile(g2.build(), new Map());
    const z = await b.run(exe2, { y: a.r });
    expect(Array.from((await b.read(z.z)).data)).toEqual([1, 0, 9, 0, 25, 0]);
    expect(a.r).toBeInstanceOf(WebGpuTensor);
    b.release(a.r);
    await expect(b.run(exe2, { y: a.r })).rejects.toThrow(/released/);
  });

  it('weights upload once per host tensor, across compiles', async () => {
    const c = matmulGraph([2, 3], 16, 8, 5);
    const before = b.stats.weightUploads;
    const e1 = await b.compile(c.graph, c.weights);
    const e2 = await b.compile(c.graph, c.weights);
    expect(b.stats.weightUploads - before).toBe(1);
    e1.dispose();
    e2.dispose();
  });

  it('repeated runs with the same shapes allocate no buffers and reuse the plan', async () => {
    const c = opCases().find((x) => x.name.startsWith('XLoraMixture layerwise'))!;
    const exe = await b.compile(c.graph, c.weights);
    const warm = async () => {
      const out = await b.run(exe, c.feeds);
      await b.read(out.y);
      b.release(out.y);
    };
    await warm();
    const { buffersCreated, plansCreated } = b.stats;
    for (let i = 0; i < 5; i++) await warm();
    expect(b.stats.buffersCreated).toBe(buffersCreated);
    expect(b.stats.plansCreated).toBe(plansCreated);
    expect(b.stats.lastRunDispatches).toBe(2); // the fused mixture: two dispatches for three experts
    exe.dispose();
  });
});

gpu(`webgpu: KV cache on the device${skipNote}`, () => {
  // One attention layer run as a decode loop: presents are fed back as pasts; each step is compared with backend-cpu.
  const heads = 4, kvHeads = 2, hd = 16, batch = 2;
  function decodeGraph(): Graph {
    const g = new GraphBuilder('decode');
    const attrs: OpAttrs['Attention'] = { numHeads: heads, numKvHeads: kvHeads, headDim: hd, scale: 0.25 };
    const q = g.input('q', 'f32', [batch, 'seq', heads * hd]);
    const k = g.input('k', 'f32', [batch, 'seq', kvHeads * hd]);
    const v = g.input('v', 'f32', [batch, 'seq', kvHeads * hd]);
    const pk = g.input('past_k', 'f32', [batch, kvHeads, 'past', hd]);
    const pv = g.input('past_v', 'f32', [batch, kvHeads, 'past', hd]);
    const mask = g.input('mask', 'i32', [batch, 'past+seq']);
    const [o, k2, v2] = g.attention(q, k, v, pk, pv, mask, attrs, { out: 'out', presentK: 'present_k', presentV: 'present_v' });
    g.output('out', o);
    g.output('present_k', k2);
    g.output('present_v', v2);
    return g.build();
  }

  it('decode appends in place (same buffer, no new allocations) and matches backend-cpu at every step', async () => {
    const b = await createWebGpuBackend();
    const cpu: Backend = new CpuBackend();
    const graph = decodeGraph();
    const exe = await b.compile(graph, new Map());
    const cexe = await cpu.compile(graph, new Map());
    const rand = rng(77);
    let pastG: [DeviceTensor | HostTensor, DeviceTensor | HostTensor] = [f32([batch, kvHeads, 0, hd]), f32([batch, kvHeads, 0, hd])];
    let pastC: [DeviceTensor | HostTensor, DeviceTensor | HostTensor] = [pastG[0], pastG[1]];
    let total = 0;
    const buffers = new Set<GPUBuffer>();
    let createdAfterPrefill = 0;
    for (let step = 0; step < 12; step++) {
      const seq = step === 0 ? 5 : 1;
      total += seq;
      const feeds = {
        q: randomF32(rand, [batch, seq, heads * hd]), k: randomF32(rand, [batch, seq, kvHeads * hd]), v: randomF32(rand, [batch, seq, kvHeads * hd]),
        mask: i32([batch, total], Array.from({ length: batch * total }, (_, i) => (i % total === 0 && i > 0 ? 0 : 1))),
      };
      const got = await b.run(exe, { ...feeds, past_k: pastG[0], past_v: pastG[1] });
      const want = await cpu.run(cexe, { ...feeds, past_k: pastC[0], past_v: pastC[1] });
      for (const name of ['out', 'present_k', 'present_v']) expectClose(`step ${step} ${name}`, await b.read(got[name]), await cpu.read(want[name]));
      buffers.add((got.present_k as WebGpuTensor).buffer);
      if (step > 0) {
        if (!('data' in pastG[0])) b.release(pastG[0] as DeviceTensor);
        if (!('data' in pastG[1])) b.release(pastG[1] as DeviceTensor);
      }
      b.release(got.out);
      pastG = [got.present_k, got.present_v];
      pastC = [want.present_k, want.present_v];
      if (step === 1) createdAfterPrefill = b.stats.buffersCreated;
    }
    expect(buffers.size).toBe(1); // capacity 5 + headroom: every decode step appended in place
    expect((pastG[0] as WebGpuTensor).capacity).toBeGreaterThan(total);
    expect(b.stats.buffersCreated).toBe(createdAfterPrefill);
    b.dispose();
  });

  it('feeding the same past twice (a branch) copies instead of overwriting the first branch', async () => {
    const b = await createWebGpuBackend();
    const cpu = new CpuBackend();
    const graph = decodeGraph();
    const exe = await b.compile(graph, new Map());
    const cexe = await cpu.compile(graph, new Map());
    const rand = rng(5);
    const mk = (seq: number, total: number) => ({
      q: randomF32(rand, [batch, seq, heads * hd]), k: randomF32(rand, [batch, seq, kvHeads * hd]), v: randomF32(rand, [batch, seq, kvHeads * hd]),
      mask: i32([batch, total], new Array(batch * total).fill(1)),
    });
    const empty = f32([batch, kvHeads, 0, hd]);
    const pre = mk(3, 3);
    const g0 = await b.run(exe, { ...pre, past_k: empty, past_v: empty });
    const c0 = await cpu.run(cexe, { ...pre, past_k: empty, past_v: empty });
    const f1 = mk(1, 4), f2 = mk(1, 4);
    const g1 = await b.run(exe, { ...f1, past_k: g0.present_k, past_v: g0.present_v });
    const g2 = await b.run(exe, { ...f2, past_k: g0.present_k, past_v: g0.present_v });
    const c1 = await cpu.run(cexe, { ...f1, past_k: c0.present_k, past_v: c0.present_v });
    const c2 = await cpu.run(cexe, { ...f2, past_k: c0.present_k, past_v: c0.present_v });
    expect((g1.present_k as WebGpuTensor).buffer).toBe((g0.present_k as WebGpuTensor).buffer);
    expect((g2.present_k as WebGpuTensor).buffer).not.toBe((g0.present_k as WebGpuTensor).buffer);
    for (const name of ['out', 'present_k', 'present_v']) {
      expectClose(`branch 1 ${name}`, await b.read(g1[name]), await cpu.read(c1[name]));
      expectClose(`branch 2 ${name}`, await b.read(g2[name]), await cpu.read(c2[name]));
    }
    expectClose('prefill cache intact', await b.read(g0.present_k), await cpu.read(c0.present_k));
    b.dispose();
  });
});

describe.skipIf(!probe.f16)(`webgpu: f16 weights${probe.f16 ? '' : ' (skipped: the adapter has no shader-f16)'}`, () => {
  it('MatMul and the mixture with f16 weights stay within f16 tolerance (atol 2e-2, rtol 1e-2)', async () => {
    const b = await createWebGpuBackend({ preferF16: true });
    expect(b.info.supportsF16).toBe(true);
    const tol = { atol: 2e-2, rtol: 1e-2 };
    const failures: string[] = [];
    for (const c of [matmulGraph([1, 1], 64, 96, 1), matmulGraph([2, 9], 64, 40, 2), matmulGraph([1, 3], 33, 17, 3, true),
      ...opCases().filter((c) => c.name.startsWith('XLoraMixture'))]) failures.push(...(await checkOpCase(b, c, tol)));
    b.dispose();
    expect(failures).toEqual([]);
  });
});
