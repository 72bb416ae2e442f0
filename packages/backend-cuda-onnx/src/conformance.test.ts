import { existsSync } from 'node:fs';
import { opSuite } from '@xlora/testkit';
import { createOnnxBackend } from './index.js';
import { createOrtWebBackend } from './web/index.js';

/**
 * Op conformance of the ORT backends against backend-cpu. EPs that cannot start here are reported as skipped with
 * the reason (CUDA: provider libraries / GPU; WebGPU: no Vulkan driver).
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** null when the backend starts; else the first line of why not. */
async function startProblem(start: () => Promise<{ dispose(): void }>): Promise<string | null> {
  try {
    (await start()).dispose();
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

const webgpuProblem = await startProblem(() => createOnnxBackend({ ep: 'webgpu' }));
// In CI a Vulkan ICD on disk means the WebGPU EP must work: do not hide a regression behind a skip.
const icd = process.env.VK_ICD_FILENAMES;
const webgpuMustRun = process.env.CI === 'true' && !!icd && existsSync(icd);
const cudaProblem = await startProblem(() => createOnnxBackend({ ep: 'cuda' }));

opSuite({ label: 'onnxruntime-node cpu EP', createBackend: () => createOnnxBackend({ ep: 'cpu' }) });
opSuite({
  label: 'onnxruntime-node webgpu EP',
  createBackend: () => createOnnxBackend({ ep: 'webgpu' }),
  skipReason: webgpuProblem && !webgpuMustRun ? `WebGPU EP cannot start (needs a Vulkan driver, e.g. VK_ICD_FILENAMES=${SWIFTSHADER_ICD}): ${webgpuProblem}` : null,
});
opSuite({ label: 'onnxruntime-web wasm (Node)', createBackend: () => createOrtWebBackend({ ep: 'wasm' }) });
const hasNavigatorGpu = !!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
opSuite({
  label: 'onnxruntime-web webgpu',
  createBackend: () => createOrtWebBackend({ ep: 'webgpu' }),
  skipReason: hasNavigatorGpu ? null : 'no navigator.gpu in Node (ort-web webgpu runs in browsers; in Node it needs the `webgpu` package plus two workarounds, see README)',
});
opSuite({
  label: 'onnxruntime-node cuda EP',
  createBackend: () => createOnnxBackend({ ep: 'cuda' }),
  skipReason: cudaProblem ? `CUDA EP unavailable (provider libraries not installed or no GPU): ${cudaProblem}` : null,
});
