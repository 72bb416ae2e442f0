import { createOnnxBackend } from '../src/index.ts';
import { blockGraph } from '../src/testing/block-graph.ts';
import { cpuReference } from '../src/testing/compare.ts';
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
const { graph, weights, feeds } = blockGraph({ hidden: 256, intermediate: 512, heads: 4, kvHeads: 2, experts: 3, rank: 4 });
const f = feeds(1, 8, 0);
const want = await cpuReference(graph, weights, f);
for (const [label, opts] of [['webgpu all', {}], ['webgpu basic', { sessionOptions: { graphOptimizationLevel: 'basic' } }], ['webgpu disabled', { sessionOptions: { graphOptimizationLevel: 'disabled' } }], ['cpu', null]] as const) {
  const b = await createOnnxBackend(opts ? { ep: 'webgpu', ...(opts as object) } : { ep: 'cpu' });
  const exe = await b.compile(graph, weights);
  const got = await b.run(exe, f);
  const y = await b.read(got.y);
  let m = 0, mw = 0;
  for (let i = 0; i < y.data.length; i++) { m = Math.max(m, Math.abs(y.data[i] - want.y.data[i])); mw = Math.max(mw, Math.abs(want.y.data[i])); }
  console.log(label, 'max|diff|', m, 'max|y|', mw);
  b.dispose();
}
