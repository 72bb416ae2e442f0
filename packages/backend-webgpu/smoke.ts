import { opCases } from '../testkit/src/op-cases.js';
import { checkOpCase } from '../testkit/src/op-check.js';
import { createWebGpuBackend, flags } from './src/index.js';
flags.validateRuns = true;
const be = await createWebGpuBackend();
console.log(be.info);
for (const c of opCases()) {
  const t0 = performance.now();
  try {
    const f = await checkOpCase(be, c);
    console.log(f.length ? 'FAIL' : 'ok  ', c.name, (performance.now() - t0).toFixed(0) + 'ms', f.join('\n'));
  } catch (e) { console.log('ERR ', c.name, e); }
}
be.dispose();
process.exit(0);
