import { formatShape, sameShape, type WeightTensor } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import { expectedBaseWeights } from '../loading/expected-base-weights.js';
import type { FileSource } from '../loading/file-source.js';
import type { LoadedBaseModel } from '../loading/load-base-model.js';
import { normalizePath } from '../loading/posix-path.js';
import type { LoadProgress } from '../loading/weight-set.js';
import { GgufError } from './gguf-error.js';
import { openGguf, type GgufFile } from './gguf-file.js';
import { ggufLlamaConfig, PERMUTED_QK_ARCHITECTURES } from './gguf-llama-config.js';
import { hfTensorName, KNOWN_GGUF_TENSORS } from './llama-tensor-names.js';
import { permuteQkRows } from './qk-permute.js';

/**
 * Loads a Llama-family base model (general.architecture llama, mistral, qwen2) from a GGUF file: the config from
 * its metadata, the tensors under transformers' names in the format they are stored in (F32 as f32, the others
 * as PackedTensors), q_proj/k_proj rows un-permuted where llama.cpp's converter permuted them, so PEFT LoRA experts
 * trained on the transformers model apply unchanged. Every tensor is checked against the config before any is
 * read, then each is read from its own byte range. Without output.weight the head is the embedding (tied).
 */
export async function loadGgufBaseModel(src: FileSource, path: string, opts: { onProgress?: LoadProgress } = {}): Promise<LoadedBaseModel> {
  const gguf = await openGguf(src, path);
  try {
    return await loadFrom(gguf, path, opts);
  } finally {
    await gguf.close();
  }
}

async function loadFrom(gguf: GgufFile, path: string, opts: { onProgress?: LoadProgress }): Promise<LoadedBaseModel> {
  const config = ggufLlamaConfig(gguf);
  const plan = planTensors(gguf, config);
  const arch = config.modelType;
  const permuted = PERMUTED_QK_ARCHITECTURES.has(arch);

  const total = gguf.dataOffset + plan.reduce((n, p) => n + p.bytes, 0);
  let loaded = gguf.dataOffset;
  opts.onProgress?.(loaded, total, gguf.file);
  const weights = new Map<string, WeightTensor>();
  for (const { ggufName, hfName, bytes } of plan) {
    let t = await gguf.readTensor(ggufName);
    const qk = /\.self_attn\.(q|k)_proj\.(weight|bias)$/.exec(hfName);
    if (permuted && qk) {
      t = permuteQkRows(t, qk[1] === 'q' ? config.numAttentionHeads : config.numKeyValueHeads, false, `${gguf.file}: tensor ${JSON.stringify(ggufName)}`);
    }
    weights.set(hfName, t);
    loaded += bytes;
    opts.onProgress?.(loaded, total, gguf.file, hfName);
  }
  if (config.tieWordEmbeddings) weights.set('lm_head.weight', weights.get('model.embed_tokens.weight')!);
  const dir = normalizePath(path).split('/').slice(0, -1).join('/');
  return { config, weights, dir };
}

interface PlannedTensor {
  ggufName: string;
  hfName: string;
  bytes: number;
}

/** Every tensor of the file under its transformers name, checked against what the config implies, in file order. */
function planTensors(gguf: GgufFile, config: LlamaConfig): PlannedTensor[] {
  const where = `${gguf.file} (GGUF metadata)`;
  const expected = new Map<string, number[]>();
  for (const { name, shape } of expectedBaseWeights(config)) {
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue;
    expected.set(name, shape);
  }
  const plan: PlannedTensor[] = [];
  for (const t of gguf.tensors) {
    const hfName = hfTensorName(t.name);
    if (hfName === null) {
      throw new GgufError('bad-value', `${gguf.file}: tensor ${JSON.stringify(t.name)} is not one a ${config.modelType} model has (known: ${KNOWN_GGUF_TENSORS.join(', ')})`);
    }
    const shape = expected.get(hfName);
    if (shape === undefined) {
      throw new GgufError('bad-value', `${gguf.file}: tensor ${JSON.stringify(t.name)} (${hfName}) is not part of the model ${where} describes (block_count ${config.numHiddenLayers}, biases: ${config.qkvBias ? 'q/k/v' : 'none'})`);
    }
    if (!sameShape(t.shape, shape)) {
      throw new GgufError('bad-shape', `${gguf.file}: tensor ${JSON.stringify(t.name)} has shape ${formatShape(t.shape)} ([out, in]; ne ${formatShape(t.ne)}) but ${where} implies ${formatShape(shape)}`);
    }
    expected.delete(hfName);
    plan.push({ ggufName: t.name, hfName, bytes: t.byteLength });
  }
  const missing = [...expected.keys()];
  if (missing.length > 0) {
    const eg = missing.slice(0, 3).map((n) => JSON.stringify(n)).join(', ');
    throw new GgufError('bad-value', `${gguf.file}: missing ${missing.length} tensor(s) that ${where} implies (${eg}${missing.length > 3 ? ', ...' : ''})`);
  }
  return plan;
}
