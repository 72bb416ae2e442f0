// Browser entry for the real-browser op test: runs every op case on navigator.gpu and publishes the result.
// Imports testkit's op cases and checker by file (testkit's index also exports vitest suites).
import { checkOpCase } from '../../../testkit/src/op-check.js';
import { opCases } from '../../../testkit/src/op-cases.js';
import { createWebGpuBackend } from '../index.js';
import type { PageResult as Result } from './page-result.js';


function show(result: Result): void {
  const rows = result.cases.map((c) => `<tr class="${c.failures.length ? 'bad' : 'ok'}"><td>${c.failures.length ? '✗' : '✓'}</td><td>${c.name}</td><td>${c.ms.toFixed(0)} ms</td><td>${c.failures.join('<br>')}</td></tr>`);
  document.body.innerHTML = `<h1>@xlora/backend-webgpu op conformance</h1><p>${result.device ?? ''}</p>
    ${result.error ? `<pre class="bad">${result.error}</pre>` : ''}<table>${rows.join('')}</table>`;
}

async function main(): Promise<void> {
  const result: Result = { cases: [] };
  try {
    for (const profile of ['auto', 'gpu'] as const) {
    const backend = await createWebGpuBackend({ profile });
    result.device = `${backend.info.device} — ${navigator.userAgent}`;
    for (const c of opCases()) {
      const t0 = performance.now();
      let failures: string[];
      try {
        failures = await checkOpCase(backend, c);
      } catch (err) {
        failures = [`${c.name}: threw ${err instanceof Error ? err.message : String(err)}`];
      }
      result.cases.push({ name: `${c.name} [${profile}]`, ms: performance.now() - t0, failures });
      show(result);
    }
    backend.dispose();
    }
  } catch (err) {
    result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  show(result);
  window.__xloraResult = result;
}

void main();
