import { resolveBackend, type Backend } from '@xlora/core';

/** A backend the harness can try; `start` fails with the reason when it cannot run here. */
export interface BenchBackend {
  label: string;
  start(): Promise<Backend>;
}

async function registered(entry: string, name: string, options?: Record<string, unknown>): Promise<Backend> {
  await import(/* @vite-ignore */ entry);
  return resolveBackend([name], options);
}

export const BENCH_BACKENDS: Record<string, BenchBackend> = {
  cpu: { label: 'cpu', start: () => registered('@xlora/backend-cpu/register', 'cpu') },
  webgpu: { label: 'webgpu', start: () => registered('@xlora/backend-webgpu/register', 'webgpu') },
  'onnx-cpu': { label: 'cuda-onnx (ep cpu)', start: () => registered('@xlora/backend-cuda-onnx/register', 'cuda-onnx', { ep: 'cpu' }) },
  'onnx-cuda': { label: 'cuda-onnx (ep cuda)', start: () => registered('@xlora/backend-cuda-onnx/register', 'cuda-onnx', { ep: 'cuda' }) },
};
