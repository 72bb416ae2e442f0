import { BackendError, InputError, resolveBackend, type Backend } from '@xlora/core';
import { explainEpFailure } from './ep-failure.js';

export const BACKENDS = ['cpu', 'webgpu', 'cuda-onnx'] as const;

/** Imports the chosen backend's register entry (lazily: webgpu and onnxruntime are heavy) and starts it. */
export async function startBackend(name: string, options: { ep?: string; deviceId?: number; allowFallback?: boolean } = {}): Promise<Backend> {
  switch (name) {
    case 'cpu':
      await import('@xlora/backend-cpu/register');
      break;
    case 'webgpu':
      await import('@xlora/backend-webgpu/register');
      break;
    case 'cuda-onnx':
      await import('@xlora/backend-cuda-onnx/register');
      break;
    default:
      throw new InputError(`--backend must be one of ${BACKENDS.join(', ')}, got "${name}"`);
  }
  try {
    return await resolveBackend([name], options);
  } catch (err) {
    const explained = name === 'cuda-onnx' ? explainEpFailure(options.ep ?? 'cuda', err) : undefined;
    if (explained) throw new BackendError(explained, { cause: err });
    throw err;
  }
}
