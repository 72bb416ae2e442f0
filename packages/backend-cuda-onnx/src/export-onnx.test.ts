import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostTensor } from '@xlora/core';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx } from './export-onnx.js';
import { createOnnxBackend, loadOrtNode } from './node-backend.js';
import type { OrtTensor } from './ort-types.js';
import { blockGraph } from './testing/block-graph.js';
import { closeFailures, cpuReference, matchesCpu } from './testing/compare.js';
import { createOrtWebBackend } from './web/index.js';

const dims = { hidden: 32, intermediate: 48, heads: 4, kvHeads: 2, experts: 3, rank: 2 };
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'xlora-onnx-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Loads `modelPath` in a fresh onnxruntime-node session from disk and checks its outputs against backend-cpu. */
async function freshSessionMatchesCpu(modelPath: string): Promise<string[]> {
  const ort = await loadOrtNode();
  const { graph, weights, feeds } = blockGraph(dims);
  const f = feeds(2, 3, 4);
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  const toOrt = (t: HostTensor) => new ort.Tensor(t.dtype === 'f32' ? 'float32' : 'int32', t.data, t.shape);
  const got = await session.run(Object.fromEntries(Object.entries(f).map(([k, t]) => [k, toOrt(t)])));
  await session.release();
  const want = await cpuReference(graph, weights, f);
  const host = (t: OrtTensor): HostTensor => ({ dtype: 'f32', shape: [...t.dims], data: t.data as Float32Array });
  return Object.keys(want).flatMap((k) => closeFailures(k, host(got[k]), want[k]));
}

describe('exportOnnx', () => {
  it('writes model.onnx + a sidecar, and the file loads from disk in a fresh InferenceSession', async () => {
    const { graph, weights } = blockGraph(dims);
    const dir = tempDir();
    const r = exportOnnx(graph, weights, dir, { sidecar: { num_layers: 7, num_experts: 3 } });
    expect(r.modelPath).toBe(join(dir, 'model.onnx'));
    expect(r.externalDataPaths).toEqual([]);
    expect(existsSync(join(dir, 'model.onnx.data'))).toBe(false);
    const sidecar = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      format: 'xlora-onnx', model_file: 'model.onnx', external_data_files: [], ir_version: 10,
      opset_imports: [{ domain: '', version: 21 }], graph_name: 'block',
      metadata: { num_layers: 7, num_experts: 3 },
    });
    expect(sidecar.inputs.map((i: { name: string }) => i.name)).toEqual(['x', 'position_ids', 'attention_mask', 'past_k', 'past_v', 'scalings']);
    expect(sidecar.inputs[2]).toEqual({ name: 'attention_mask', dtype: 'i32', onnx_type: 'int32', shape: ['batch', 'past+seq'] });
    expect(sidecar.outputs[1]).toEqual({ name: 'present_k', dtype: 'f32', onnx_type: 'float32', shape: ['batch', 2, 'past+seq', 8] });
    expect(sidecar.dim_params.sort()).toEqual(['batch', 'past', 'past+seq', 'seq']);
    expect(await freshSessionMatchesCpu(r.modelPath)).toEqual([]);
  });

  it('external data round trip (threshold lowered): model.onnx.data beside the model, loads from disk', async () => {
    const { graph, weights } = blockGraph(dims);
    const inline = exportOnnx(graph, weights, tempDir());
    const dir = tempDir();
    const r = exportOnnx(graph, weights, dir, { externalDataThresholdBytes: 4096 });
    expect(r.externalDataPaths).toEqual([join(dir, 'model.onnx.data')]);
    expect(r.sidecar.external_data_files).toEqual(['model.onnx.data']);
    // every tensor of 1 KiB or more moved out (smaller ones stay inline)
    const movedBytes = [...weights.values()].filter((t) => t.data.byteLength >= 1024).reduce((n, t) => n + t.data.byteLength, 0);
    expect(statSync(join(dir, 'model.onnx.data')).size).toBeGreaterThanOrEqual(movedBytes);
    expect(statSync(r.modelPath).size).toBeLessThan(statSync(inline.modelPath).size - movedBytes + 2048); // + location/offset/length entries
    expect(await freshSessionMatchesCpu(r.modelPath)).toEqual([]);
  });
});

describe('external data inside compile() (threshold lowered: weights go to in-memory external data)', () => {
  const { graph, weights, feeds } = blockGraph(dims);
  it('onnxruntime-node cpu EP', async () => {
    const backend = await createOnnxBackend({ ep: 'cpu', export: { externalDataThresholdBytes: 4096 } });
    expect(await matchesCpu(backend, graph, weights, feeds(1, 2, 3))).toEqual([]);
    backend.dispose();
  });
  it('onnxruntime-web wasm', async () => {
    const backend = await createOrtWebBackend({ ep: 'wasm', export: { externalDataThresholdBytes: 4096 } });
    expect(await matchesCpu(backend, graph, weights, feeds(1, 2, 3))).toEqual([]);
    backend.dispose();
  });
});
