import { CpuBackend } from '@xlora/backend-cpu';
import type { Backend, Graph, HostTensor, WeightMap } from '@xlora/core';

/** |got − want| ≤ 1e-4 + 1e-4·|want| (the project's f32 rule); returns a message per failing output. */
export function closeFailures(label: string, got: HostTensor, want: HostTensor): string[] {
  if (got.shape.join() !== want.shape.join()) return [`${label}: shape [${got.shape}] != [${want.shape}]`];
  let bad = 0, worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    if (!(d <= 1e-4 + 1e-4 * Math.abs(want.data[i]))) bad++;
    if (!(d <= worst)) worst = d;
  }
  return bad ? [`${label}: ${bad} of ${want.data.length} values out of tolerance, max |diff| ${worst}`] : [];
}

/** The reference outputs of a graph from backend-cpu. */
export async function cpuReference(graph: Graph, weights: WeightMap, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const cpu = new CpuBackend();
  const outs = await cpu.run(await cpu.compile(graph, weights), feeds);
  const result: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(outs)) result[k] = await cpu.read(v);
  return result;
}

/** Runs the graph on `backend` and backend-cpu; returns failure messages (empty = same numbers). */
export async function matchesCpu(backend: Backend, graph: Graph, weights: WeightMap, feeds: Record<string, HostTensor>): Promise<string[]> {
  const want = await cpuReference(graph, weights, feeds);
  const exe = await backend.compile(graph, weights);
  const got = await backend.run(exe, feeds);
  const failures: string[] = [];
  for (const name of Object.keys(want)) failures.push(...closeFailures(name, await backend.read(got[name]), want[name]));
  exe.dispose();
  return failures;
}
