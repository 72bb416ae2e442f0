/**
 * Micro-benchmark (not a test): one Llama-style decoder block (hidden 512, intermediate 1408, 8 heads / 4 KV heads,
 * X-LoRA mixtures with 3 experts of rank 8 on all 7 linear layers; and the plain block) on the ORT cpu EP,
 * onnxruntime-web wasm and backend-cpu. 1-token decode on a 128-token cache and a 16-token prefill.
 *
 *   npx tsx bench/ops-bench.ts [--runs 30]
 *
 * Timings on shared 2-core machines are noisy: compare the columns of one run (ratios), not runs.
 */
import { CpuBackend } from '@xlora/backend-cpu';
import type { Backend, DeviceTensor, Executable, HostTensor } from '@xlora/core';
import { createOnnxBackend } from '../src/index.js';
import { blockGraph, type BlockDims } from '../src/testing/block-graph.js';
import { createOrtWebBackend } from '../src/web/index.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const WARMUP = 3;

async function timeRuns(backend: Backend, exe: Executable, feeds: Record<string, HostTensor>): Promise<number> {
  const once = async () => {
    const outs = await backend.run(exe, feeds);
    await backend.read(outs.y); // include the readback of what a caller would read
    for (const t of Object.values(outs)) backend.release(t as DeviceTensor);
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const backends: [string, () => Promise<Backend>][] = [
  ['backend-cpu', async () => new CpuBackend()],
  ['ORT cpu EP', () => createOnnxBackend({ ep: 'cpu' })],
  ['ort-web wasm', () => createOrtWebBackend({ ep: 'wasm' })],
];
const shapes: [string, number, number][] = [['decode 1 token (past 128)', 1, 128], ['prefill 16 tokens', 16, 0]];
const blocks: [string, BlockDims][] = [
  ['X-LoRA block', { hidden: 512, intermediate: 1408, heads: 8, kvHeads: 4, experts: 3, rank: 8 }],
  ['plain block', { hidden: 512, intermediate: 1408, heads: 8, kvHeads: 4, experts: 0, rank: 0 }],
];

console.log(`median ms per run over ${RUNS} runs (${WARMUP} warm-up), batch 1, Node ${process.version}`);
const header = ['graph', 'shape', ...backends.map(([n]) => n), 'cpu / ORT cpu'];
const rows: string[][] = [];
for (const [blockName, dims] of blocks) {
  const { graph, weights, feeds } = blockGraph(dims);
  const made = await Promise.all(backends.map(async ([, make]) => make()));
  const exes = await Promise.all(made.map((b) => b.compile(graph, weights)));
  for (const [shapeName, seq, past] of shapes) {
    const f = feeds(1, seq, past);
    const ms: number[] = [];
    for (let i = 0; i < made.length; i++) ms.push(await timeRuns(made[i], exes[i], f));
    rows.push([blockName, shapeName, ...ms.map((m) => m.toFixed(2)), `${(ms[0] / ms[1]).toFixed(1)}x`]);
    console.log(rows[rows.length - 1].join(' | '));
  }
  exes.forEach((e) => e.dispose());
  made.forEach((b) => b.dispose());
}
console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
