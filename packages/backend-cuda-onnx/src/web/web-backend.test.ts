import { describe, expect, it } from 'vitest';
import type { OrtDeviceTensor } from '../session-runner.js';
import { decodeLoop } from '../testing/decode-loop.js';
import { createOrtWebBackend } from './index.js';

const dims = { hidden: 32, intermediate: 48, heads: 4, kvHeads: 2, experts: 3, rank: 2 };

describe('onnxruntime-web backend (Node: wasm)', () => {
  it('runs a decode loop, feeding its own output tensors back', async () => {
    const backend = await createOrtWebBackend({ ep: 'wasm' });
    expect(backend.info).toMatchObject({ name: 'ort-web' });
    expect(backend.info.device).toMatch(/^onnxruntime-web 1\.30\.0 wasm$/);
    const { failures, kv } = await decodeLoop(backend, dims);
    expect(failures).toEqual([]);
    expect((kv as OrtDeviceTensor).ort.location).toBe('cpu');
    backend.dispose();
  }, 60_000);

  it('webgpu without navigator.gpu fails with a BackendError that names the EP', async () => {
    if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return;
    await expect(createOrtWebBackend({ ep: 'webgpu' })).rejects.toThrow(/onnxruntime-web could not start the webgpu execution provider/);
  });
});
