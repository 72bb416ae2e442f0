import { InputError, isPacked, type WeightFormat, type WeightTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import type { FileSource } from '../loading/file-source.js';
import { loadBaseModel } from '../loading/load-base-model.js';
import type { LoadDtype } from '../loading/load-dtype.js';
import { basename, joinPath } from '../loading/posix-path.js';
import { readJsonFile, readOptionalJsonFile } from '../loading/read-json.js';
import type { LoadProgress } from '../loading/weight-set.js';
import { PERMUTED_QK_ARCHITECTURES } from './gguf-llama-config.js';
import type { GgufKv } from './gguf-types.js';
import { weightBytes, writeGguf, type GgufSink, type GgufTensorEntry } from './gguf-writer.js';
import { tokenizerMetadata } from './hf-tokenizer-metadata.js';
import { ggufTensorName } from './llama-tensor-names.js';
import { permuteQkRows } from './qk-permute.js';

/** llama.cpp's general.file_type (llama_ftype) of each --dtype. */
const FILE_TYPE: Readonly<Record<LoadDtype, number>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, q4_k: 14, q4_k_m: 15, bf16: 32 };

export interface WriteGgufBaseModelOptions {
  /** every 2-D weight in this format (norms and biases f32), or llama.cpp's Q4_K_M mix */
  dtype: LoadDtype;
  /** general.name (default: the folder's name) */
  name?: string;
  onNotice?: (message: string) => void;
  onProgress?: LoadProgress;
}

export interface WrittenGguf {
  bytes: number;
  /** GGUF tensor name -> format, in file order */
  tensors: { name: string; format: WeightFormat }[];
}

/**
 * Writes a transformers Llama-family folder (config.json, model.safetensors, tokenizer.json) as a GGUF file that
 * llama.cpp loads: llama-arch metadata (qwen2 for Qwen2), the tokenizer's `tokenizer.ggml.*` metadata, and the
 * weights under llama.cpp's names in `dtype` (quantized as they are loaded), q/k rows permuted the way llama.cpp's
 * converter does for llama. Tensors go out one at a time; each is released once written.
 */
export async function writeGgufBaseModel(src: FileSource, dir: string, sink: GgufSink, opts: WriteGgufBaseModelOptions): Promise<WrittenGguf> {
  const tokPath = joinPath(dir, 'tokenizer.json');
  if (!(await src.exists(tokPath))) throw new InputError(`${src.describe(tokPath)}: file not found (a GGUF file carries its tokenizer; llama.cpp needs one)`);
  const base = await loadBaseModel(src, dir, { dtype: opts.dtype, onNotice: opts.onNotice, onProgress: opts.onProgress });
  const { config } = base;
  const arch = ggufArchitecture(config, src.describe(joinPath(dir, 'config.json')), opts.onNotice);
  const cfgJson = ((await readOptionalJsonFile(src, joinPath(dir, 'tokenizer_config.json'))) ?? {}) as Record<string, unknown>;
  const metadata: [string, GgufKv][] = [
    ...modelMetadata(config, arch, opts.dtype, opts.name ?? (basename(dir) || 'model')),
    ...tokenizerMetadata(await readJsonFile(src, tokPath), cfgJson, src.describe(tokPath), config.vocabSize),
  ];

  const weights = base.weights;
  const permute = PERMUTED_QK_ARCHITECTURES.has(arch);
  const tensors: GgufTensorEntry[] = [];
  for (const [hfName, t] of weights) {
    if (hfName === 'lm_head.weight' && config.tieWordEmbeddings) continue; // llama.cpp: no output.weight = tied
    const name = ggufTensorName(hfName);
    if (name === null) throw new InputError(`${src.describe(dir)}: tensor ${JSON.stringify(hfName)} has no llama.cpp name`);
    tensors.push({
      name, shape: t.shape, format: isPacked(t) ? t.format : 'f32',
      data: () => {
        const w = weights.get(hfName)!;
        weights.delete(hfName); // written once: let it go
        return weightBytes(permute ? permuteQk(w, hfName, config) : w);
      },
    });
  }
  const bytes = await writeGguf(sink, metadata, tensors);
  return { bytes, tensors: tensors.map((t) => ({ name: t.name, format: t.format })) };
}

function permuteQk(t: WeightTensor, hfName: string, config: LlamaConfig): WeightTensor {
  const m = /\.self_attn\.(q|k)_proj\.(weight|bias)$/.exec(hfName);
  if (!m) return t;
  return permuteQkRows(t, m[1] === 'q' ? config.numAttentionHeads : config.numKeyValueHeads, true, `tensor ${JSON.stringify(hfName)}`);
}

/** The general.architecture to write: llama for Llama and Mistral (as llama.cpp's converter does), qwen2 for Qwen2. */
function ggufArchitecture(config: LlamaConfig, file: string, onNotice?: (m: string) => void): string {
  if (config.ropeScaling?.ropeType === 'llama3') {
    throw new InputError(`${file}: rope_scaling of type llama3 cannot be written to GGUF yet (llama.cpp stores it as a rope_freqs tensor)`);
  }
  if (config.architecture === 'Qwen2ForCausalLM') return 'qwen2';
  if (config.architecture !== 'LlamaForCausalLM' && config.architecture !== 'MistralForCausalLM') {
    throw new InputError(`${file}: ${config.architecture} cannot be written to GGUF yet (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)`);
  }
  if (config.slidingWindow !== null) {
    (onNotice ?? console.warn)(`${file}: sliding_window ${config.slidingWindow} is not written (llama.cpp's llama architecture has no sliding window; outputs differ past ${config.slidingWindow} tokens)`);
  }
  return 'llama';
}

function modelMetadata(c: LlamaConfig, arch: string, dtype: LoadDtype, name: string): [string, GgufKv][] {
  const u32 = (value: number): GgufKv => ({ type: 'u32', value });
  const f32 = (value: number): GgufKv => ({ type: 'f32', value });
  const out: [string, GgufKv][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(FILE_TYPE[dtype])],
    ...(dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' ? [] : [['general.quantization_version', u32(2)] as [string, GgufKv]]),
    ['general.alignment', u32(32)],
    [`${arch}.vocab_size`, u32(c.vocabSize)],
    [`${arch}.context_length`, u32(c.maxPositionEmbeddings)],
    [`${arch}.embedding_length`, u32(c.hiddenSize)],
    [`${arch}.block_count`, u32(c.numHiddenLayers)],
    [`${arch}.feed_forward_length`, u32(c.intermediateSize)],
    [`${arch}.attention.head_count`, u32(c.numAttentionHeads)],
    [`${arch}.attention.head_count_kv`, u32(c.numKeyValueHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(c.rmsNormEps)],
    [`${arch}.rope.freq_base`, f32(c.ropeTheta)],
    [`${arch}.rope.dimension_count`, u32(c.headDim)],
  ];
  if (c.headDim * c.numAttentionHeads !== c.hiddenSize) {
    out.push([`${arch}.attention.key_length`, u32(c.headDim)], [`${arch}.attention.value_length`, u32(c.headDim)]);
  }
  if (c.ropeScaling?.ropeType === 'linear') {
    out.push([`${arch}.rope.scaling.type`, { type: 'string', value: 'linear' }], [`${arch}.rope.scaling.factor`, f32(c.ropeScaling.factor)]);
  }
  return out;
}
