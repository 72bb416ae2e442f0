/**
 * Kernel speed of the cpu backend per weight storage format: one MatMul x [rows, K] · w [N, K]ᵀ compiled and run
 * through CpuBackend (the path a model takes), ms per call, and the k-quant quantizers' seconds per million values.
 *
 *   cd benchmarks && node --import tsx src/kernel-speed.ts [--quick]
 *
 * Times are the minimum CPU time of repeated calls (see timeIt). Every format's row is measured in the same run as its f32 row, so the ratio column (f32 ms / format ms: > 1 is
 * faster than f32) is comparable across runs on this noisy shared machine even when the absolute numbers move.
 */
import { createCpuBackend } from '@xlora/backend-cpu';
import { f32, GraphBuilder, quantize, WEIGHT_FORMATS, type HostTensor, type WeightFormat, type WeightTensor } from '@xlora/core';

const quick = process.argv.includes('--quick');
const SHAPES: readonly { rows: number; n: number; k: number }[] = [
  { rows: 1, n: 2048, k: 2048 }, // decode: q/o projection of the tinyllama shape
  { rows: 1, n: 5632, k: 2048 }, // decode: gate/up projection
  { rows: 16, n: 2048, k: 2048 }, // prefill of 16 tokens
];

function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

/** This process's CPU time in ms (user + system): unlike wall time, not inflated while other processes hold the cores. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The fastest of `samples` timed calls, in CPU ms (after warm-up calls): on this shared machine the minimum is the
 * stable statistic, the median moves with the other processes' load.
 */
function timeIt(fn: () => void, samples: number): number {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let s = 0; s < samples; s++) {
    const t0 = cpuMs();
    fn();
    best = Math.min(best, cpuMs() - t0);
  }
  return best;
}

async function matmulSpeed(): Promise<void> {
  const cpu = await createCpuBackend();
  console.log('| x · wᵀ | format | CPU ms/call (min) | f32 ms / this |');
  console.log('|---|---|---:|---:|');
  for (const { rows, n, k } of SHAPES) {
    const g = new GraphBuilder('mm');
    g.output('y', g.matmul(g.input('x', 'f32', [rows, k]), g.weight('w', [n, k]), undefined, 'y'));
    const graph = g.build();
    const wf = f32([n, k], values(n * k, 7, 0.05));
    const feeds = { x: f32([rows, k], values(rows * k, 11, 1)) };
    const time = async (w: WeightTensor) => {
      const exe = await cpu.compile(graph, new Map([['w', w]]));
      const ms = timeIt(() => void cpu.run(exe, feeds), quick ? 5 : rows > 1 ? 8 : 20);
      exe.dispose();
      return ms;
    };
    // f32 first and again at the end: the ratio uses their mean, so drift during the row shows up
    const f32a = await time(wf);
    const results: [WeightFormat, number][] = [];
    for (const format of WEIGHT_FORMATS) {
      if (format === 'f32') continue;
      results.push([format, await time(quantize(wf as HostTensor<'f32'>, format))]);
    }
    const f32b = await time(wf);
    const ref = (f32a + f32b) / 2;
    const shape = `[${rows},${k}]·[${n},${k}]`;
    console.log(`| ${shape} | f32 | ${f32a.toFixed(2)} / ${f32b.toFixed(2)} | 1.00 |`);
    for (const [format, ms] of results) console.log(`| ${shape} | ${format} | ${ms.toFixed(2)} | ${(ref / ms).toFixed(2)} |`);
  }
}

function quantizeSpeed(): void {
  console.log('\n| quantize | s per million values |');
  console.log('|---|---:|');
  const x = f32([256, 4096], values(256 * 4096, 3, 0.05)); // 1 Mi values
  for (const format of ['q8_0', 'q4_0', 'q4_k', 'q6_k'] as const) {
    const ms = timeIt(() => void quantize(x, format), quick ? 1 : 2);
    console.log(`| ${format} | ${(ms / 1000 / (x.data.length / 1e6)).toFixed(3)} |`);
  }
}

await matmulSpeed();
quantizeSpeed();
