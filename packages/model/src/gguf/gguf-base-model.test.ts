import { createCpuBackend } from '@xlora/backend-cpu';
import { i32, isPacked, type HostTensor, type WeightTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { loadBaseModel, type LoadedBaseModel } from '../loading/load-base-model.js';
import type { LoadDtype } from '../loading/load-dtype.js';
import { loadXLoraCheckpoint } from '../loading/load-xlora-checkpoint.js';
import { mapFileSource } from '../loading/map-file-source.js';
import { nodeFileSource } from '../loading/node-file-source.js';
import { DEMO_MODEL } from '../loading/test-helpers.js';
import { XLoraModel, type ModelMode } from '../xlora/xlora-model.js';
import { openGguf } from './gguf-file.js';
import { weightBytes, memorySink } from './gguf-writer.js';
import { writeGgufBaseModel } from './hf-to-gguf.js';
import { loadGgufBaseModel } from './load-gguf-base-model.js';

const demo = nodeFileSource(DEMO_MODEL);

async function demoAsGguf(dtype: LoadDtype) {
  const sink = memorySink();
  const written = await writeGgufBaseModel(demo, 'base', sink, { dtype, onNotice: () => {} });
  const src = mapFileSource({ 'g/demo.gguf': sink.bytes() });
  return { written, src, bytes: sink.bytes() };
}

/** The demo X-LoRA checkpoint over `base`, on the cpu backend, as loadXLoraModel builds it. */
async function demoModel(base: LoadedBaseModel): Promise<XLoraModel> {
  const ckpt = await loadXLoraCheckpoint(demo, 'xlora', { adapterRoot: '' });
  return new XLoraModel({
    baseConfig: base.config, baseWeights: base.weights, xloraConfig: ckpt.config, classifierWeights: ckpt.classifier,
    classifierFile: ckpt.classifierFile, experts: ckpt.experts, tokenizer: null, eosTokenIds: [], padTokenId: null,
  }, await createCpuBackend());
}

const IDS = i32([2, 12], [...new TextEncoder().encode('def f(x):\n  '), ...new TextEncoder().encode('The sum 2+3=')]);

async function logits(base: LoadedBaseModel, mode: ModelMode): Promise<Float32Array> {
  return (await (await demoModel(base)).forward(IDS, { mode })).logits.data;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const bytesOf = (t: WeightTensor) => [...weightBytes(t)];

/** q/k rows as convert_hf_to_gguf stores them: w.reshape(nHead, 2, D/2, in).swapaxes(1, 2), element by element. */
function convertPermuted(w: HostTensor<'f32'>, nHead: number): Float32Array {
  const [rows, cols] = w.shape;
  const half = rows / nHead / 2;
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < nHead; h++) for (let j = 0; j < half; j++) for (let i = 0; i < 2; i++) {
    // output index (h, j, i) of the swapped array holds input (h, i, j)
    out.set(w.data.subarray(((h * 2 + i) * half + j) * cols, ((h * 2 + i) * half + j + 1) * cols), ((h * half + j) * 2 + i) * cols);
  }
  return out;
}

describe('GGUF base model: the demo model written by writeGgufBaseModel, loaded by loadGgufBaseModel', () => {
  it('F32: the same config, the same weights (q/k un-permuted) and the same base and X-LoRA logits as from safetensors', async () => {
    const st = await loadBaseModel(demo, 'base');
    const { src, bytes } = await demoAsGguf('f32');
    const gg = await loadGgufBaseModel(src, 'g/demo.gguf');
    const pick = ({ config: c }: LoadedBaseModel) => [c.architecture, c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers,
      c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.rmsNormEps, c.ropeTheta, c.ropeScaling, c.maxPositionEmbeddings, c.tieWordEmbeddings, c.qkvBias, c.bosTokenId, c.eosTokenId];
    expect(pick(gg)).toEqual(pick(st));
    expect(gg.config.rmsNormEps).toBe(1e-5);
    expect([...gg.weights.keys()].sort()).toEqual([...st.weights.keys()].sort());
    for (const [name, t] of st.weights) expect(bytesOf(gg.weights.get(name)!), name).toEqual(bytesOf(t));

    // the file itself holds q/k in llama.cpp's rotary layout, as its converter writes them
    const file = await openGguf(mapFileSource({ 'x.gguf': bytes }), 'x.gguf');
    const q = st.weights.get('model.layers.1.self_attn.q_proj.weight') as HostTensor<'f32'>;
    const k = st.weights.get('model.layers.1.self_attn.k_proj.weight') as HostTensor<'f32'>;
    expect([...((await file.readTensor('blk.1.attn_q.weight')) as HostTensor<'f32'>).data]).toEqual([...convertPermuted(q, 4)]);
    expect([...((await file.readTensor('blk.1.attn_k.weight')) as HostTensor<'f32'>).data]).toEqual([...convertPermuted(k, 2)]);
    expect([...convertPermuted(q, 4)]).not.toEqual([...q.data]);

    for (const mode of ['base', 'xlora'] as const) {
      const want = await logits(st, mode);
      const got = await logits(gg, mode);
      expect(maxDiff(got, want), mode).toBeLessThanOrEqual(1e-6);
    }
  }, 60_000);

  it.each(['f16', 'q8_0', 'q4_0', 'q4_k_m'] as const)('%s: each weight is the bytes loadBaseModel quantizes to (rows permuted and back)', async (dtype) => {
    const st = await loadBaseModel(demo, 'base', { dtype, onNotice: () => {} });
    const { src, written } = await demoAsGguf(dtype);
    const gg = await loadGgufBaseModel(src, 'g/demo.gguf');
    for (const [name, t] of st.weights) {
      const got = gg.weights.get(name)!;
      expect(isPacked(got) ? got.format : 'f32', name).toBe(isPacked(t) ? t.format : 'f32');
      expect(bytesOf(got), name).toEqual(bytesOf(t));
    }
    if (dtype === 'q4_k_m') {
      // llama.cpp's use_more_bits on 4 layers (C integer division): i < 4/8 = 0 never, i >= 7*4/8 = 3 gives layer 3,
      // (i - 0) % 3 == 2 gives layer 2; the head is Q6_K, the untied embedding Q4_K, norms F32
      const formats = Object.fromEntries(written.tensors.map((t) => [t.name, t.format]));
      expect(formats['output.weight']).toBe('q6_k');
      expect(formats['token_embd.weight']).toBe('q4_k');
      expect([0, 1, 2, 3].map((l) => formats[`blk.${l}.attn_v.weight`])).toEqual(['q4_k', 'q4_k', 'q6_k', 'q6_k']);
      expect([0, 1, 2, 3].map((l) => formats[`blk.${l}.ffn_down.weight`])).toEqual(['q4_k', 'q4_k', 'q6_k', 'q6_k']);
      expect(formats['blk.0.attn_q.weight']).toBe('q4_k');
      expect(formats['blk.0.attn_norm.weight']).toBe('f32');
    }
  }, 60_000);
});
