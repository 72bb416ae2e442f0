import { CpuBackend } from '@xlora/backend-cpu';
import type { Backend, HostTensor } from '@xlora/core';
import type { OpCase } from './op-cases.js';
import { compareClose, FIXTURE_TOLERANCE, type Tolerance } from './tolerance.js';

/** Runs one op case on `backend` and on backend-cpu; returns a list of failure messages (empty = pass). */
export async function checkOpCase(backend: Backend, c: OpCase, tol: Tolerance = FIXTURE_TOLERANCE): Promise<string[]> {
  const cpu = new CpuBackend();
  const want = await cpu.run(await cpu.compile(c.graph, c.weights), c.feeds);
  const exe = await backend.compile(c.graph, c.weights);
  const got = await backend.run(exe, c.feeds);
  const failures: string[] = [];
  for (const out of c.graph.outputs) {
    const w = await cpu.read(want[out.name]);
    const g: HostTensor = await backend.read(got[out.name]);
    if (g.shape.join() !== w.shape.join()) {
      failures.push(`${c.name} / ${out.name}: shape [${g.shape}] != [${w.shape}]`);
      continue;
    }
    const r = compareClose(`${c.name} / ${out.name}`, g.data, w.data, tol);
    if (!r.ok) failures.push(r.message);
  }
  exe.dispose();
  return failures;
}
