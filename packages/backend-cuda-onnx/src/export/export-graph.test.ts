import { fromBinary } from '@bufbuild/protobuf';
import { GraphBuilder, i32, type HostTensor } from '@xlora/core';
import { ModelProtoSchema, TensorProto_DataLocation, type ModelProto } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../node-backend.js';
import { blockGraph, seeded } from '../testing/block-graph.js';
import { matchesCpu } from '../testing/compare.js';
import { graphToModel, serializeModel } from './export-graph.js';

const small = { hidden: 32, intermediate: 48, heads: 4, kvHeads: 2, experts: 3, rank: 2 };
const opTypes = (m: ModelProto) => m.graph!.node.map((n) => `${n.domain ? `${n.domain}:` : ''}${n.opType}`);

describe('graphToModel', () => {
  it('writes IR 10, opset 21, symbolic dims as dim_params, weights as initializers', () => {
    const { graph, weights } = blockGraph(small);
    const model = graphToModel(graph, weights);
    expect(model.irVersion).toBe(10n);
    expect(model.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', 21n]]);
    const x = model.graph!.input.find((i) => i.name === 'x')!;
    const dims = x.type!.value.case === 'tensorType' ? x.type!.value.value.shape!.dim.map((d) => d.value.value) : [];
    expect(dims).toEqual(['batch', 'seq', 32n]);
    const mask = model.graph!.input.find((i) => i.name === 'attention_mask')!;
    expect(mask.type!.value.case === 'tensorType' && mask.type!.value.value.elemType).toBe(6); // INT32
    expect(model.graph!.output.map((o) => o.name)).toEqual(['y', 'present_k', 'present_v']);
    // MatMul weights are stored pre-transposed ([in, out]) under "<name>.T"
    const q = model.graph!.initializer.find((t) => t.name === 'q_proj.weight.T')!;
    expect(q.dims).toEqual([32n, 32n]);
    expect(model.graph!.initializer.find((t) => t.name === 'gate_proj.weight.T')!.dims).toEqual([32n, 48n]);
    // standard ops only by default
    expect(opTypes(model).some((t) => t.startsWith('com.microsoft:'))).toBe(false);
    expect(opTypes(model)).not.toContain('TopK'); // topK = null: no top-k mask
  });

  it('keeps a weight used both as a table and a MatMul weight once, with a Transpose node', () => {
    const g = new GraphBuilder('tied');
    const table = g.weight('embed', [11, 6]);
    const h = g.gather(table, g.input('ids', 'i32', ['batch', 'seq']));
    g.output('logits', g.matmul(h, table, undefined, 'logits'));
    const weights = new Map<string, HostTensor>([['embed', { dtype: 'f32', shape: [11, 6], data: seeded(1)(66) }]]);
    const model = graphToModel(g.build(), weights);
    expect(model.graph!.initializer.map((t) => t.name)).toEqual(['embed']);
    expect(opTypes(model)).toEqual(['Gather', 'Transpose', 'MatMul']);
  });

  it('uses the contrib ops when asked', () => {
    const { graph, weights } = blockGraph(small);
    const model = graphToModel(graph, weights, { contribOps: { simplifiedLayerNorm: true, rotaryEmbedding: { maxPositions: 64 } } });
    const ops = opTypes(model);
    expect(ops).toContain('SimplifiedLayerNormalization'); // input_layernorm (x is a graph input, not an Add)
    expect(ops).toContain('com.microsoft:SkipSimplifiedLayerNormalization'); // residual Add + post_attention_layernorm
    expect(ops.filter((o) => o === 'com.microsoft:RotaryEmbedding')).toHaveLength(2);
    expect(model.opsetImport.map((o) => o.domain)).toEqual(['', 'com.microsoft']);
  });

  it('moves initializers to external data past the threshold', () => {
    const { graph, weights } = blockGraph(small);
    const model = graphToModel(graph, weights);
    const { bytes, externalFiles } = serializeModel(model, { externalDataThresholdBytes: 1000, external: { location: () => 'w.bin' } });
    expect(externalFiles).toHaveLength(1);
    const parsed = fromBinary(ModelProtoSchema, bytes);
    const q = parsed.graph!.initializer.find((t) => t.name === 'q_proj.weight.T')!;
    expect(q.dataLocation).toBe(TensorProto_DataLocation.EXTERNAL);
    expect(Object.fromEntries(q.externalData.map((e) => [e.key, e.value]))).toMatchObject({ location: 'w.bin', length: String(32 * 32 * 4) });
    expect(q.rawData.byteLength).toBe(0);
    for (const p of externalFiles[0].parts) expect(p.offset % 4096).toBe(0);
  });
});

describe('exported graphs on the ORT cpu EP equal backend-cpu', () => {
  let backend: OnnxBackend;
  let contrib: OnnxBackend;
  let f32Angles: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend({ ep: 'cpu' });
    contrib = await createOnnxBackend({ ep: 'cpu', export: { contribOps: { simplifiedLayerNorm: true, rotaryEmbedding: { maxPositions: 64 } } } });
    f32Angles = await createOnnxBackend({ ep: 'cpu', export: { ropeAngles: 'f32' } });
  });
  afterAll(() => [backend, contrib, f32Angles].forEach((b) => b?.dispose()));

  const { graph, weights, feeds } = blockGraph(small);
  for (const [label, b, past] of [
    ['standard ops, prefill', () => backend, 0], ['standard ops, decode on a cache', () => backend, 5],
    ['contrib ops, prefill', () => contrib, 0], ['contrib ops, decode on a cache', () => contrib, 5],
    ['f32 rope angles', () => f32Angles, 5],
  ] as const) {
    it(`decoder block with X-LoRA mixtures: ${label}`, async () => {
      expect(await matchesCpu(b(), graph, weights, feeds(2, past ? 1 : 4, past))).toEqual([]);
    });
  }

  it('a query with no visible key gives 0, not NaN', async () => {
    const g = new GraphBuilder('all-masked');
    const v = (n: string, shape: (number | string)[], dtype: 'f32' | 'i32' = 'f32') => g.input(n, dtype, shape);
    const [out] = g.attention(v('q', [1, 2, 4]), v('k', [1, 2, 4]), v('v', [1, 2, 4]), v('pk', [1, 1, 0, 4]), v('pv', [1, 1, 0, 4]),
      v('mask', [1, 2], 'i32'), { numHeads: 1, numKvHeads: 1, headDim: 4, scale: 0.5 }, { out: 'out' });
    g.output('out', out);
    const r = seeded(3);
    const feeds = {
      q: { dtype: 'f32' as const, shape: [1, 2, 4], data: r(8) }, k: { dtype: 'f32' as const, shape: [1, 2, 4], data: r(8) },
      v: { dtype: 'f32' as const, shape: [1, 2, 4], data: r(8) }, pk: { dtype: 'f32' as const, shape: [1, 1, 0, 4], data: new Float32Array(0) },
      pv: { dtype: 'f32' as const, shape: [1, 1, 0, 4], data: new Float32Array(0) }, mask: i32([1, 2], [0, 1]),
    };
    const exe = await backend.compile(g.build(), new Map());
    const got = await backend.read((await backend.run(exe, feeds)).out);
    expect(Array.from(got.data.subarray(0, 4))).toEqual([0, 0, 0, 0]); // token 0 sees only itself, which is masked
    expect(got.data.every((x) => Number.isFinite(x))).toBe(true);
  });
});
