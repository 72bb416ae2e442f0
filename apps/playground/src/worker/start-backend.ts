import type { Backend } from '@xlora/core';
import type { BackendChoice } from '../shared/backend-choices.js';

export interface StartedBackend {
  backend: Backend;
  choice: BackendChoice;
  /** set when the requested backend could not start and another one runs instead */
  notice?: string;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// Each backend is imported only when chosen: WebGPU kernels and onnxruntime-web are large.
async function create(choice: Exclude<BackendChoice, 'auto'>): Promise<Backend> {
  switch (choice) {
    case 'cpu':
      return (await import('@xlora/backend-cpu')).createCpuBackend();
    case 'webgpu':
      return (await import('@xlora/backend-webgpu')).createWebGpuBackend();
    case 'ort-webgpu':
    case 'ort-wasm': {
      const { createOrtWebBackend } = await import('@xlora/backend-cuda-onnx/web');
      return createOrtWebBackend({ ep: choice === 'ort-webgpu' ? 'webgpu' : 'wasm' });
    }
  }
}

/**
 * Starts the chosen backend. 'auto' means WebGPU when it works, else CPU. A GPU backend that fails to start falls
 * back to the CPU backend with a notice that says why (never silently).
 */
export async function startBackend(choice: BackendChoice): Promise<StartedBackend> {
  const wanted = choice === 'auto' ? 'webgpu' : choice;
  try {
    return { backend: await create(wanted), choice: wanted };
  } catch (err) {
    if (wanted === 'cpu') throw err;
    const label = wanted === 'webgpu' ? 'WebGPU' : `onnxruntime-web (${wanted === 'ort-webgpu' ? 'webgpu' : 'wasm'})`;
    return {
      backend: await create('cpu'),
      choice: 'cpu',
      notice: `${label} could not start: ${messageOf(err)} — running on the CPU backend (plain TypeScript, slower) instead.`,
    };
  }
}
