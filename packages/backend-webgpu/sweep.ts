import { GraphBuilder, f32 } from '@xlora/core';
import { createWebGpuBackend, flags } from './src/index.js';
const b = await createWebGpuBackend();
async function bench(label: string, m: number, k: number, n: number, iters = 5) {
  const g = new GraphBuilder(label);
  g.output('y', g.matmul(g.input('x', 'f32', [m, k]), g.weight('w', [n, k]), undefined, 'y'));
  const exe = await b.compile(g.build(), new Map([['w', f32([n, k])]]));
  const x = b.upload(f32([m, k]));
  for (let i = 0; i < 1; i++) { const o = await b.run(exe, { x }); b.release(o.y); }
  await b.device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) { const o = await b.run(exe, { x }); b.release(o.y); }
  await b.device.queue.onSubmittedWorkDone();
  const ms = (performance.now() - t0) / iters;
  console.log(label, `${m}x${k}x${n}`, ms.toFixed(2), 'ms', (2 * m * k * n / ms / 1e6).toFixed(3), 'GFLOP/s');
}
const mode = process.argv[2];
if (mode === 'gemv') {
  for (const [c, t] of [[64, 1], [128, 1], [256, 1], [32, 1], [16, 1], [32, 2], [64, 2]]) {
    flags.gemvColumns = c; flags.gemvThreadsPerColumn = t;
    await bench(`gemv ${c}x${t}`, 1, 512, 1408);
  }
} else {
  for (const t of [
    { wgX: 16, wgY: 16, tm: 4, tn: 4, tk: 16 }, { wgX: 8, wgY: 8, tm: 4, tn: 4, tk: 16 }, { wgX: 16, wgY: 4, tm: 4, tn: 4, tk: 16 },
    { wgX: 8, wgY: 8, tm: 8, tn: 4, tk: 8 }, { wgX: 4, wgY: 4, tm: 4, tn: 4, tk: 16 }, { wgX: 16, wgY: 16, tm: 2, tn: 2, tk: 16 },
  ]) {
    flags.tiledLarge = t; flags.tiledSmallMaxRows = 0;
    await bench(`tiled ${JSON.stringify(t)}`, 128, 512, 512, 2);
  }
}
process.exit(0);
