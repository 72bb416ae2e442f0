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
 * Why 'auto' should not pick WebGPU: no adapter, or a software one (SwiftShader, a "fallback adapter"), on which the
 * plain CPU backend is much faster for a model this size. Null: a hardware adapter is there.
 */
async function reasonToSkipWebGpu(): Promise<string | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return `WebGPU gave no adapter (${messageOf(err)})`;
  }
  if (!adapter) return 'WebGPU gave no adapter (no usable GPU or driver)';
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const fallback = info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' / ');
  if (fallback || /swiftshader|llvmpipe|lavapipe|software/i.test(name)) return `the WebGPU adapter is a software renderer (${name || 'fallback adapter'})`;
  return null;
}

/**
 * Starts the chosen backend. 'auto' means WebGPU on a hardware adapter, else CPU. A GPU backend that fails to start falls
 * back to the CPU backend with a notice that says why (never silently).
 */
export async function startBackend(choice: BackendChoice): Promise<StartedBackend> {
  if (choice === 'auto') {
    const why = await reasonToSkipWebGpu();
    if (why) return { backend: await create('cpu'), choice: 'cpu', notice: `Auto: ${why} — using the CPU backend. Pick WebGPU in the Backend list to use it anyway.` };
  }
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
