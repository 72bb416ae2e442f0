import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, registeredBackends, resolveBackend, type DeviceTensor, type HostTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { cudaProviderProblem, ortNodeBinDir } from './cuda-provider.js';
import { createOnnxBackend, type OnnxBackend } from './node-backend.js';
import type { OrtDeviceTensor } from './session-runner.js';
import { blockGraph } from './testing/block-graph.js';
import { matchesCpu } from './testing/compare.js';
import { decodeLoop } from './testing/decode-loop.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const dims = { hidden: 32, intermediate: 48, heads: 4, kvHeads: 2, experts: 3, rank: 2 };
const cudaMissing = cudaProviderProblem();
const webgpu = await createOnnxBackend({ ep: 'webgpu' }).catch((e: Error) => e);
const webgpuSkip = webgpu instanceof Error ? `WebGPU EP cannot start: ${webgpu.message.split('\n')[0]}` : null;
if (!(webgpu instanceof Error)) webgpu.dispose();

describe('CUDA provider missing', () => {
  it('the message names the missing library and how to install it (checked against an empty folder)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'xlora-no-cuda-'));
    try {
      const msg = cudaProviderProblem(empty, '/pkg/onnxruntime-node')!;
      expect(msg).toContain('libonnxruntime_providers_shared.so: cannot open shared object file');
      expect(msg).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node /pkg/onnxruntime-node/script/install.js');
      expect(msg).toContain('ONNXRUNTIME_NODE_INSTALL_CUDA=v12');
      expect(msg).toContain('allowBuilds: { onnxruntime-node: true }');
      expect(msg).toContain('allowFallback: true');
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  it.skipIf(!cudaMissing)(`createOnnxBackend({ ep: 'cuda' }) throws a BackendError that says so${cudaMissing ? '' : ' (skipped: the CUDA provider is installed here)'}`, async () => {
    const err = await createOnnxBackend({ ep: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/libonnxruntime_providers_shared\.so: cannot open shared object file/);
    expect((err as Error).message).toContain(ortNodeBinDir());
    expect((err as Error).message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it.skipIf(!cudaMissing)('allowFallback: true runs on the cpu EP and says why', async () => {
    const backend = await createOnnxBackend({ ep: 'cuda', allowFallback: true });
    expect(backend.ep).toBe('cpu');
    expect(backend.fallbackReason).toMatch(/libonnxruntime_providers_shared\.so/);
    expect(backend.info.device).toMatch(/cpu \(fallback: cuda could not start\)/);
    const { graph, weights, feeds } = blockGraph(dims);
    expect(await matchesCpu(backend, graph, weights, feeds(1, 2, 0))).toEqual([]);
    backend.dispose();
  });

  it('the registry reports why cuda-onnx could not start and moves on', async () => {
    await import('./register.js');
    expect(registeredBackends()).toContain('cuda-onnx');
    if (!cudaMissing) return;
    await expect(resolveBackend(['cuda-onnx'])).rejects.toThrow(/cuda-onnx: .*libonnxruntime_providers_shared\.so/);
    const b = await resolveBackend(['cuda-onnx'], { ep: 'cpu' });
    expect(b.info.name).toBe('cuda-onnx');
    b.dispose();
  });
});

describe('device tensors', () => {
  it('cpu EP: outputs feed the next step; read() gives host tensors', async () => {
    const backend = await createOnnxBackend({ ep: 'cpu' });
    const { failures, kv } = await decodeLoop(backend, dims);
    expect(failures).toEqual([]);
    expect((kv as OrtDeviceTensor).ort.location).toBe('cpu');
    expect(kv.shape).toEqual([1, 2, 6, 8]);
    backend.dispose();
  });

  it.skipIf(!!webgpuSkip)(`webgpu EP: KV caches stay in GPU buffers between steps${webgpuSkip ? ` (skipped: ${webgpuSkip})` : ''}`, async () => {
    const backend = await createOnnxBackend({ ep: 'webgpu' });
    const { failures, kv } = await decodeLoop(backend, dims);
    expect(failures).toEqual([]);
    expect((kv as OrtDeviceTensor).ort.location).toBe('gpu-buffer');
    backend.dispose();
  }, 120_000);

  it('rejects tensors of another backend, missing inputs and use after dispose', async () => {
    const backend: OnnxBackend = await createOnnxBackend({ ep: 'cpu' });
    const { graph, weights, feeds } = blockGraph(dims);
    const exe = await backend.compile(graph, weights);
    const f = feeds(1, 1, 0);
    const alien: DeviceTensor = { backend: 'webgpu', dtype: 'f32', shape: f.x.shape };
    await expect(backend.run(exe, { ...f, x: alien })).rejects.toThrow(/a "webgpu" tensor was passed to the cuda-onnx backend/);
    const { x: _x, ...noX } = f;
    await expect(backend.run(exe, noX)).rejects.toThrow(/missing input "x"/);
    await expect(backend.run(exe, f, { outputs: ['nope'] })).rejects.toThrow(/has no output "nope"/);
    const only = await backend.run(exe, f, { outputs: ['y'] });
    expect(Object.keys(only)).toEqual(['y']);
    const up = backend.upload(f.x as HostTensor);
    expect((await backend.read(up)).data).toEqual(f.x.data);
    await expect(backend.compile(graph, new Map())).rejects.toThrow(/needs weight "input_layernorm.weight"/);
    exe.dispose();
    await expect(backend.run(exe, f)).rejects.toThrow(/was disposed/);
    backend.dispose();
    await expect(backend.compile(graph, weights)).rejects.toThrow(/disposed/);
  });
});

describe('intra-op threads', () => {
  it('any valid count computes the same numbers; a bad one is an InputError naming the option', async () => {
    const { graph, weights, feeds } = blockGraph(dims);
    for (const threads of [1, 2]) {
      const backend = await createOnnxBackend({ ep: 'cpu', threads });
      expect(await matchesCpu(backend, graph, weights, feeds(1, 3, 0))).toEqual([]);
      backend.dispose();
    }
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      await expect(createOnnxBackend({ ep: 'cpu', threads: bad })).rejects.toThrow(/threads must be an integer from 1 to 1024/);
    }
  });
});
