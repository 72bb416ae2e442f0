import { InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { mapFileSource } from '../loading/map-file-source.js';
import { openGguf } from './gguf-file.js';
import { ggufLlamaConfig } from './gguf-llama-config.js';
import type { GgufKv } from './gguf-types.js';
import { memorySink, writeGguf, type GgufTensorEntry } from './gguf-writer.js';
import { loadGgufBaseModel } from './load-gguf-base-model.js';

const u32 = (value: number): GgufKv => ({ type: 'u32', value });
/** Metadata of a 1-layer model (hidden 64, 2 heads of 32, 1 kv head, ffn 128, vocab 32) for `arch`. */
function hparams(arch: string, extra: Record<string, GgufKv> = {}): [string, GgufKv][] {
  return Object.entries({
    'general.architecture': { type: 'string', value: arch },
    [`${arch}.context_length`]: u32(512), [`${arch}.embedding_length`]: u32(64), [`${arch}.block_count`]: u32(1),
    [`${arch}.feed_forward_length`]: u32(128), [`${arch}.attention.head_count`]: u32(2), [`${arch}.attention.head_count_kv`]: u32(1),
    [`${arch}.attention.layer_norm_rms_epsilon`]: { type: 'f32', value: 1e-6 }, [`${arch}.rope.freq_base`]: { type: 'f32', value: 1e6 },
    [`${arch}.vocab_size`]: u32(32),
    ...extra,
  } as Record<string, GgufKv>);
}

async function fileOf(metadata: [string, GgufKv][], tensors: GgufTensorEntry[] = []) {
  const sink = memorySink();
  await writeGguf(sink, metadata, tensors);
  return mapFileSource({ 'm.gguf': sink.bytes() });
}

const f32Tensor = (name: string, shape: number[]): GgufTensorEntry => ({ name, shape, format: 'f32', data: () => new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
/** Every tensor of the 1-layer model, llama.cpp names, [out, in]. */
function tensors(withBias: boolean): GgufTensorEntry[] {
  const lin = (n: string, o: number, i: number, b: boolean) => [f32Tensor(`blk.0.${n}.weight`, [o, i]), ...(b ? [f32Tensor(`blk.0.${n}.bias`, [o])] : [])];
  return [
    f32Tensor('token_embd.weight', [32, 64]), f32Tensor('blk.0.attn_norm.weight', [64]),
    ...lin('attn_q', 64, 64, withBias), ...lin('attn_k', 32, 64, withBias), ...lin('attn_v', 32, 64, withBias), ...lin('attn_output', 64, 64, false),
    f32Tensor('blk.0.ffn_norm.weight', [64]), ...lin('ffn_gate', 128, 64, false), ...lin('ffn_up', 128, 64, false), ...lin('ffn_down', 64, 128, false),
    f32Tensor('output_norm.weight', [64]),
  ];
}

async function configOf(metadata: [string, GgufKv][], t: GgufTensorEntry[] = []) {
  return ggufLlamaConfig(await openGguf(await fileOf(metadata, t), 'm.gguf'));
}

describe('LlamaConfig from GGUF metadata (through parseBaseModelConfig)', () => {
  it('qwen2: the hyper-parameters, q/k/v biases, tied head (no output.weight), eps/theta as decimals', async () => {
    const c = await configOf(hparams('qwen2'), tensors(true));
    expect([c.architecture, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.intermediateSize,
      c.vocabSize, c.maxPositionEmbeddings, c.rmsNormEps, c.ropeTheta, c.qkvBias, c.tieWordEmbeddings])
      .toEqual(['Qwen2ForCausalLM', 64, 1, 2, 1, 32, 128, 32, 512, 1e-6, 1e6, true, true]);
    const base = await loadGgufBaseModel(await fileOf(hparams('qwen2'), tensors(true)), 'm.gguf');
    expect(base.weights.get('lm_head.weight')).toBe(base.weights.get('model.embed_tokens.weight'));
    expect(base.weights.get('model.layers.0.self_attn.k_proj.bias')!.shape).toEqual([32]);
  });

  it('mistral and llama architectures; linear rope scaling', async () => {
    expect((await configOf(hparams('mistral'))).architecture).toBe('MistralForCausalLM');
    const c = await configOf(hparams('llama', { 'llama.rope.scaling.type': { type: 'string', value: 'linear' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } }));
    expect([c.architecture, c.ropeScaling?.ropeType, c.ropeScaling?.ropeType === 'linear' ? c.ropeScaling.factor : null]).toEqual(['LlamaForCausalLM', 'linear', 4]);
  });

  it('bad metadata is an InputError naming the file and key', async () => {
    const fails = async (md: [string, GgufKv][], msg: string | RegExp, t: GgufTensorEntry[] = []) => {
      const err = await configOf(md, t).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(msg);
    };
    await fails(hparams('gemma'), 'm.gguf: general.architecture "gemma" is not supported (supported: llama, mistral, qwen2)');
    await fails(hparams('llama').filter(([k]) => k !== 'llama.block_count'), 'm.gguf: metadata "llama.block_count" is missing (expected an integer >= 1)');
    await fails(hparams('llama', { 'llama.block_count': { type: 'string', value: '4' } }), 'metadata "llama.block_count" must be an integer >= 1, got string "4"');
    await fails(hparams('llama', { 'llama.rope.scaling.type': { type: 'string', value: 'yarn' } }), /m\.gguf \(GGUF metadata\): field "rope_scaling" has rope type "yarn", which is not supported/);
    await fails(hparams('llama', { 'llama.rope.dimension_count': u32(16) }), 'rope.dimension_count 16 is not the head size 32 (partial rotary embeddings are not supported)');
    await fails(hparams('llama', { 'llama.attention.head_count_kv': u32(3) }), /num_key_value_heads/);
    await fails(hparams('llama'), 'tensor "rope_freqs.weight" (llama.cpp\'s Llama 3 rope scaling factors) is not supported yet', [f32Tensor('rope_freqs.weight', [16])]);
  });

  it('tensors that do not fit the metadata are named', async () => {
    const fails = async (t: GgufTensorEntry[], msg: string) => {
      const err = await loadGgufBaseModel(await fileOf(hparams('llama'), t), 'm.gguf').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(msg);
    };
    const all = tensors(false);
    await fails([...all, f32Tensor('blk.0.attn_rot_embd.weight', [4])], 'm.gguf: tensor "blk.0.attn_rot_embd.weight" is not one a llama model has');
    await fails([...all, f32Tensor('blk.1.attn_norm.weight', [64])], 'm.gguf: tensor "blk.1.attn_norm.weight" (model.layers.1.input_layernorm.weight) is not part of the model');
    await fails(all.map((t) => (t.name === 'blk.0.ffn_up.weight' ? f32Tensor(t.name, [64, 128]) : t)), 'm.gguf: tensor "blk.0.ffn_up.weight" has shape [64, 128] ([out, in]; ne [128, 64]) but m.gguf (GGUF metadata) implies [128, 64]');
    await fails(all.filter((t) => t.name !== 'blk.0.attn_v.weight'), 'm.gguf: missing 1 tensor(s) that m.gguf (GGUF metadata) implies ("model.layers.0.self_attn.v_proj.weight")');
  });
});
