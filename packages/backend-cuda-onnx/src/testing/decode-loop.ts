import type { Backend, DeviceTensor } from '@xlora/core';
import { blockGraph, type BlockDims } from './block-graph.js';
import { closeFailures, cpuReference } from './compare.js';

/** Three decode steps, feeding each step's present_k/v (device tensors) into the next; compared with backend-cpu. */
export async function decodeLoop(backend: Backend, dims: BlockDims): Promise<{ failures: string[]; kv: DeviceTensor }> {
  const { graph, weights, feeds } = blockGraph(dims);
  const exe = await backend.compile(graph, weights);
  const prompt = feeds(1, 3, 0, 11);
  let want = await cpuReference(graph, weights, prompt);
  let got = await backend.run(exe, prompt);
  const failures: string[] = [];
  for (let step = 0; step < 3; step++) {
    const past = 3 + step;
    const f = feeds(1, 1, past, 20 + step);
    const wantNext = await cpuReference(graph, weights, { ...f, past_k: want.present_k, past_v: want.present_v });
    const gotNext = await backend.run(exe, { ...f, past_k: got.present_k, past_v: got.present_v });
    backend.release(got.y);
    backend.release(got.present_k);
    backend.release(got.present_v);
    for (const name of ['y', 'present_k', 'present_v']) {
      failures.push(...closeFailures(`step ${step} ${name}`, await backend.read(gotNext[name]), wantNext[name]));
    }
    want = wantNext;
    got = gotNext;
  }
  exe.dispose();
  return { failures, kv: got.present_k };
}

