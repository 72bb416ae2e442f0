// Matmul throughput, webgpu vs cpu, at decode and prefill shapes. Not a test: `npx tsx bench/ops-bench.ts`
// Options: --iters N (default: as many as fit in ~2 s per case), --f16 (f16 weights where the adapter has shader-f16),
// --profile auto|gpu|cpu (kernel tuning profile, flags.ts), --formats f32,q8_0,... (MatMul weight storage formats to
// time, each quantized from the same f32 weight; default f32; cpu runs on the same packed weight)
import { CpuBackend } from '@xlora/backend-cpu';
import { GraphBuilder, isWeightFormat, quantize, type Backend, type HostTensor, type WeightFormat, type WeightTensor } from '@xlora/core';
import { randomF32, rng } from '../../testkit/src/random.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.js';

const args = process.argv.slice(2);
const fixedIters = args.includes('--iters') ? Number(args[args.indexOf('--iters') + 1]) : 0;
const preferF16 = args.includes('--f16');
const profile = (args.includes('--profile') ? args[args.indexOf('--profile') + 1] : 'auto') as 'auto' | 'gpu' | 'cpu';
const formats = (args.includes('--formats') ? args[args.indexOf('--formats') + 1] : 'f32').split(',');
for (const f of formats) if (!isWeightFormat(f)) throw new Error(`--formats: unknown weight format "${f}"`);

interface Case { label: string; rows: number; k: number; n: number; kind: 'matmul' | 'mixture'; format?: WeightFormat }
const cases: Case[] = [
  { label: 'decode  1x512x512', rows: 1, k: 512, n: 512, kind: 'matmul' },
  { label: 'decode  1x512x1408', rows: 1, k: 512, n: 1408, kind: 'matmul' },
  { label: 'prefill 16x512x512', rows: 16, k: 512, n: 512, kind: 'matmul' },
  { label: 'prefill 128x512x512', rows: 128, k: 512, n: 512, kind: 'matmul' },
  { label: 'mixture 1x512x512, 4 experts r16', rows: 1, k: 512, n: 512, kind: 'mixture' },
];

function build(c: Case): { graph: ReturnType<GraphBuilder['build']>; weights: Map<string, WeightTensor>; feeds: Record<string, HostTensor>; flops: number } {
  const rand = rng(c.k + c.n + c.rows);
  const g = new GraphBuilder(c.label);
  const weights = new Map<string, WeightTensor>();
  const feeds: Record<string, HostTensor> = { x: randomF32(rand, [1, c.rows, c.k]) };
  const x = g.input('x', 'f32', [1, c.rows, c.k]);
  if (c.kind === 'matmul') {
    const w = randomF32(rand, [c.n, c.k], 0.05);
    weights.set('w', !c.format || c.format === 'f32' ? w : quantize(w, c.format, 'w'));
    g.output('y', g.matmul(x, g.weight('w', [c.n, c.k]), undefined, 'y'));
    return { graph: g.build(), weights, feeds, flops: 2 * c.rows * c.k * c.n };
  }
  const experts = 4, r = 16, rank = experts * r;
  weights.set('a', randomF32(rand, [rank, c.k], 0.05));
  weights.set('b', randomF32(rand, [c.n, rank], 0.05));
  feeds.base = randomF32(rand, [1, c.rows, c.n]);
  feeds.scalings = randomF32(rand, [1, c.rows, 1, experts]);
  const segments = Array.from({ length: experts }, (_, e) => ({ expert: e, offset: e * r, rank: r }));
  g.output('y', g.xloraMixture(x, g.input('base', 'f32', [1, c.rows, c.n]), g.weight('a', [rank, c.k]), g.weight('b', [c.n, rank]),
    g.input('scalings', 'f32', [1, c.rows, 1, experts]), { layer: 0, numExperts: experts, segments, topK: 2, softmaxTopK: true, globalWeight: 1 }, 'y'));
  return { graph: g.build(), weights, feeds, flops: 2 * c.rows * rank * (c.k + c.n) };
}

async function time(backend: Backend, c: Case, sync: () => Promise<void>): Promise<{ ms: number; iters: number }> {
  const { graph, weights, feeds } = build(c);
  const exe = await backend.compile(graph, weights);
  // device-resident inputs: measure the kernels, not the uploads
  const dev: Record<string, ReturnType<Backend['upload']>> = {};
  for (const [k, v] of Object.entries(feeds)) dev[k] = backend.upload(v);
  const once = async () => {
    const out = await backend.run(exe, dev);
    backend.release(out.y);
  };
  await once();
  await sync();
  let iters = fixedIters;
  if (!iters) {
    const t0 = performance.now();
    await once();
    await sync();
    iters = Math.max(3, Math.min(2000, Math.round(2000 / Math.max(performance.now() - t0, 0.01))));
  }
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await once();
  await sync();
  const ms = (performance.now() - t0) / iters;
  exe.dispose();
  return { ms, iters };
}

const gpu: WebGpuBackend = await createWebGpuBackend({ preferF16, profile });
const cpu = new CpuBackend();
console.log(`webgpu: ${gpu.info.device}; cpu: ${cpu.info.device}`);
console.log('| case | webgpu ms | webgpu GFLOP/s | dispatches | cpu ms | cpu GFLOP/s | webgpu/cpu |');
console.log('|---|---|---|---|---|---|---|');
const runs = cases.flatMap((c) => (c.kind === 'matmul' ? formats.map((f) => ({ ...c, label: `${c.label} ${f}`, format: f as WeightFormat })) : [c]));
for (const c of runs) {
  const { flops } = build(c);
  const g = await time(gpu, c, () => gpu.device.queue.onSubmittedWorkDone());
  const dispatches = gpu.stats.lastRunDispatches;
  const k = await time(cpu, c, async () => {});
  const gf = (ms: number) => (flops / (ms * 1e6)).toFixed(3);
  console.log(`| ${c.label} | ${g.ms.toFixed(3)} | ${gf(g.ms)} | ${dispatches} | ${k.ms.toFixed(3)} | ${gf(k.ms)} | ${(k.ms / g.ms).toFixed(2)}x |`);
}
gpu.dispose();
