import { quantize, type HostTensor, type PackedFormat, type WeightFormat } from '@xlora/core';
import { ggufTensorName, loadBaseModel, nodeFileSource, permuteQkRows, weightBytes, writeGguf, type GgufTensorEntry } from '@xlora/model';
import { writeFileAtomically } from './file-sink.js';
import { LLAMA_FILE_TYPE, llamaGgufMetadata } from './gguf-metadata.js';
import { randomWeightBytes, type GeneratedFormat } from './random-blocks.js';
import { u32Stream } from './random-stream.js';
import { modulePath, projectionShapes, type ModelPreset } from './presets.js';

/** Decoded rms of the generated matrices (as the f32 generator's standard deviations). */
export const GENERATED_RMS = { embedding: 0.05, head: 0.05, projection: 0.04, normSpread: 0.05 } as const;

/** Every base tensor of a preset under its transformers name: [out, in] shape and the rms it is drawn with. */
export function baseTensorPlan(p: ModelPreset): { name: string; shape: number[]; rms: number; norm: boolean }[] {
  const plan: { name: string; shape: number[]; rms: number; norm: boolean }[] = [
    { name: 'model.embed_tokens.weight', shape: [p.vocab, p.hidden], rms: GENERATED_RMS.embedding, norm: false },
    { name: 'model.norm.weight', shape: [p.hidden], rms: GENERATED_RMS.normSpread, norm: true },
    { name: 'lm_head.weight', shape: [p.vocab, p.hidden], rms: GENERATED_RMS.head, norm: false },
  ];
  const shapes = projectionShapes(p);
  for (let i = 0; i < p.layers; i++) {
    plan.push({ name: `model.layers.${i}.input_layernorm.weight`, shape: [p.hidden], rms: GENERATED_RMS.normSpread, norm: true });
    plan.push({ name: `model.layers.${i}.post_attention_layernorm.weight`, shape: [p.hidden], rms: GENERATED_RMS.normSpread, norm: true });
    for (const [proj, shape] of Object.entries(shapes)) plan.push({ name: `${modulePath(i, proj)}.weight`, shape, rms: GENERATED_RMS.projection, norm: false });
  }
  return plan;
}

/** Norm weights: f32 values 1 + uniform noise of the given spread (llama.cpp keeps norms in F32). */
export function randomNormBytes(n: number, spread: number, next: () => number): Uint8Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + spread * (2 * (next() / 4294967296) - 1);
  return new Uint8Array(out.buffer);
}

/**
 * A GGUF file of a preset with every 2-D matrix in `format`, written straight from random blocks (one tensor in
 * memory at a time). The q/k rows are random, so llama.cpp's rotary row permutation has nothing to change.
 */
export async function writeRandomGguf(p: ModelPreset, format: GeneratedFormat, file: string, seed = 11): Promise<void> {
  const next = u32Stream(seed);
  const tensors: GgufTensorEntry[] = baseTensorPlan(p).map(({ name, shape, rms, norm }) => ({
    name: ggufTensorName(name)!,
    shape,
    format: norm ? 'f32' : format,
    data: () => (norm ? randomNormBytes(shape[0], rms, next) : randomWeightBytes(format, shape[0], shape[1], rms, next)),
  }));
  await writeFileAtomically(file, (sink) => writeGguf(sink, llamaGgufMetadata(p, LLAMA_FILE_TYPE[format]), tensors));
}

/**
 * Converts the F32 safetensors base in `baseDir` to a GGUF with every 2-D matrix in `format` (core's reference
 * quantizers; f32 as is), q/k rows permuted as llama.cpp's converter does so that our loader's un-permutation
 * gives back the transformers model the experts were made for.
 */
export async function convertToGguf(p: ModelPreset, baseDir: string, format: WeightFormat, file: string): Promise<void> {
  const base = await loadBaseModel(nodeFileSource(baseDir), '.');
  const tensors: GgufTensorEntry[] = baseTensorPlan(p).map(({ name, shape, norm }) => ({
    name: ggufTensorName(name)!,
    shape,
    format: norm ? 'f32' : format,
    data: () => {
      let t = base.weights.get(name) as HostTensor<'f32'>;
      const qk = /\.self_attn\.(q|k)_proj\.weight$/.exec(name);
      if (qk) t = permuteQkRows(t, qk[1] === 'q' ? p.heads : p.kvHeads, true, name) as HostTensor<'f32'>;
      return weightBytes(norm || format === 'f32' ? t : quantize(t, format as PackedFormat, name));
    },
  }));
  await writeFileAtomically(file, (sink) => writeGguf(sink, llamaGgufMetadata(p, LLAMA_FILE_TYPE[format]), tensors));
}
