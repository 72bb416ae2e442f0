import { opSuite } from '@xlora/testkit';
import { createOnnxBackend } from './index.js';
import { cudaSkipReason, webgpuSkipReason } from './testing/ep-availability.js';
import { createOrtWebBackend } from './web/index.js';

/**
 * Op conformance of the ORT backends against backend-cpu. EPs that cannot start here are reported as skipped with
 * the reason (CUDA: provider libraries / GPU; WebGPU: no Vulkan driver).
 */
opSuite({ label: 'onnxruntime-node cpu EP', createBackend: () => createOnnxBackend({ ep: 'cpu' }) });
opSuite({ label: 'onnxruntime-node webgpu EP', createBackend: () => createOnnxBackend({ ep: 'webgpu' }), skipReason: await webgpuSkipReason() });
opSuite({ label: 'onnxruntime-web wasm (Node)', createBackend: () => createOrtWebBackend({ ep: 'wasm' }) });
const hasNavigatorGpu = !!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
opSuite({
  label: 'onnxruntime-web webgpu',
  createBackend: () => createOrtWebBackend({ ep: 'webgpu' }),
  skipReason: hasNavigatorGpu ? null : 'no navigator.gpu in Node (ort-web webgpu runs in browsers; in Node it needs the `webgpu` package plus two workarounds, see README)',
});
opSuite({ label: 'onnxruntime-node cuda EP', createBackend: () => createOnnxBackend({ ep: 'cuda' }), skipReason: await cudaSkipReason() });
