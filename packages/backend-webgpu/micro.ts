import { GraphBuilder, f32 } from '@xlora/core';
import { createWebGpuBackend, flags } from './src/index.js';
const b = await createWebGpuBackend();
async function bench(label: string, n: number, build: (g: GraphBuilder) => void, feeds: Record<string, any>, weights = new Map()) {
  const g = new GraphBuilder(label); build(g);
  const exe = await b.compile(g.build(), weights);
  const dev: any = {}; for (const [k, v] of Object.entries(feeds)) dev[k] = b.upload(v as any);
  for (let i = 0; i < 2; i++) { const o = await b.run(exe, dev); for (const t of Object.values(o)) b.release(t); }
  await b.device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { const o = await b.run(exe, dev); for (const t of Object.values(o)) b.release(t); }
  await b.device.queue.onSubmittedWorkDone();
  console.log(label, ((performance.now() - t0) / n).toFixed(2), 'ms/run');
}
await bench('relu 16', 20, (g) => g.output('y', g.relu(g.input('x', 'f32', [16]), 'y')), { x: f32([16]) });
await bench('relu 1M', 5, (g) => g.output('y', g.relu(g.input('x', 'f32', [1 << 20]), 'y')), { x: f32([1 << 20]) });
await bench('rmsnorm 1x512', 20, (g) => g.output('y', g.rmsNorm(g.input('x', 'f32', [1, 512]), g.weight('w', [512]), { eps: 1e-5 }, 'y')), { x: f32([1, 512]) }, new Map([['w', f32([512])]]));
await bench('matmul 1x512x512', 5, (g) => g.output('y', g.matmul(g.input('x', 'f32', [1, 512]), g.weight('w', [512, 512]), undefined, 'y')), { x: f32([1, 512]) }, new Map([['w', f32([512, 512])]]));
flags.gemvColumns = 64; flags.gemvThreadsPerColumn = 4;
await bench('matmul 1x512x512 64x4', 5, (g) => g.output('y', g.matmul(g.input('x', 'f32', [1, 512]), g.weight('w', [512, 512]), undefined, 'y')), { x: f32([1, 512]) }, new Map([['w', f32([512, 512])]]));
flags.gemvColumns = 64; flags.gemvThreadsPerColumn = 1;
await bench('matmul 1x512x512 64x1', 5, (g) => g.output('y', g.matmul(g.input('x', 'f32', [1, 512]), g.weight('w', [512, 512]), undefined, 'y')), { x: f32([1, 512]) }, new Map([['w', f32([512, 512])]]));
process.exit(0);
