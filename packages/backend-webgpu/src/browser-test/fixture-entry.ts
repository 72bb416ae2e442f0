// Browser entry for the real-browser model test: loads PEFT fixture cases over HTTP and checks the X-LoRA forward
// and greedy generation (dual KV cache) on navigator.gpu against PEFT's outputs.
import { urlFileSource } from '@xlora/model';
import { checkXLoraForward, checkXLoraGenerate, loadPeftCase, readTensorFile, type PeftCase } from '@xlora/testkit/checks';
import { createWebGpuBackend } from '../index.js';
import type { PageResult as Result } from './page-result.js';


const CASES: PeftCase[] = ['b1_depth2_layerwise', 'c_topk2_softmax_topk', 'e_gsw0.7_passvalue_1_over_n'];

async function main(): Promise<void> {
  const result: Result = { cases: [] };
  try {
    const backend = await createWebGpuBackend();
    result.device = `${backend.info.device} — ${navigator.userAgent}`;
    const source = urlFileSource(`${location.origin}/fixtures/`);
    const common = await readTensorFile(source, 'common.safetensors');
    for (const name of CASES) {
      const t0 = performance.now();
      const model = await loadPeftCase(source, name, backend);
      const expected = await readTensorFile(source, `cases/${name}/expected.safetensors`);
      const failures = [
        ...(await checkXLoraForward(model, common, expected)),
        ...(await checkXLoraGenerate(model, common, expected)),
      ];
      model.dispose();
      result.cases.push({ name, ms: performance.now() - t0, failures });
      document.body.textContent = JSON.stringify(result, null, 1);
    }
    backend.dispose();
  } catch (err) {
    result.error = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
  }
  document.body.textContent = JSON.stringify(result, null, 1);
  window.__xloraResult = result;
}

void main();
