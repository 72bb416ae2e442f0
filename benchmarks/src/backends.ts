import { resolveBackend, type Backend } from '@xlora/core';

/** Per-run knobs a backend may take. */
export interface BenchBackendOptions {
  /** ORT intra-op threads (the JS backends run on one thread) */
  threads?: number;
}

/** A backend the harness can try; `start` fails with the reason when it cannot run here. */
export interface BenchBackend {
  label: string;
  start(options?: BenchBackendOptions): Promise<Backend>;
  /** true when a child can set its thread count */
  threaded?: boolean;
}

async function registered(entry: string, name: string, options?: Record<string, unknown>): Promise<Backend> {
  await import(/* @vite-ignore */ entry);
  return resolveBackend([name], options);
}

const ortSession = (o?: BenchBackendOptions) => (o?.threads ? { sessionOptions: { intraOpNumThreads: o.threads } } : {});

export const BENCH_BACKENDS: Record<string, BenchBackend> = {
  cpu: { label: 'cpu', start: () => registered('@xlora/backend-cpu/register', 'cpu') },
  webgpu: { label: 'webgpu', start: () => registered('@xlora/backend-webgpu/register', 'webgpu') },
  'onnx-cpu': { label: 'cuda-onnx (ep cpu)', threaded: true, start: (o) => registered('@xlora/backend-cuda-onnx/register', 'cuda-onnx', { ep: 'cpu', ...ortSession(o) }) },
  // accuracy_level 4: MatMulNBits quantizes activations to int8 per block, as llama.cpp does for Q4_0/Q8_0 (not exact)
  'onnx-cpu-int8': { label: 'cuda-onnx (ep cpu, int8 activations)', threaded: true, start: (o) => registered('@xlora/backend-cuda-onnx/register', 'cuda-onnx', { ep: 'cpu', export: { matMulNBitsAccuracyLevel: 4 }, ...ortSession(o) }) },
  'onnx-cuda': { label: 'cuda-onnx (ep cuda)', threaded: true, start: (o) => registered('@xlora/backend-cuda-onnx/register', 'cuda-onnx', { ep: 'cuda', ...ortSession(o) }) },
};
