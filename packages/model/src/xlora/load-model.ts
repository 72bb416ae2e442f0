import type { Backend } from '@xlora/core';
import { loadBaseModel, loadTokenizer, loadXLoraCheckpoint, type FileSource, type LoadDtype, type LoadProgress, type LoadXLoraCheckpointOptions } from '../loading/index.js';
import { loadGgufTokenizer } from '../gguf/gguf-text-tokenizer.js';
import { findGgufBase } from '../loading/gguf-dispatch.js';
import { XLoraModel, type ExpertDtype } from './xlora-model.js';

export interface LoadXLoraModelOptions {
  /** where the files are (nodeFileSource(root), urlFileSource(base), mapFileSource(files)) */
  source: FileSource;
  /** base model folder (config.json, model.safetensors[, tokenizer.json]), or a .gguf file (or a folder with one) */
  baseDir: string;
  /** X-LoRA checkpoint folder (adapter_config.json + adapter_model.safetensors, or xlora_config.json + xlora_classifier.safetensors) */
  xloraDir: string;
  /** folder the checkpoint's relative expert paths resolve against (PEFT: the working directory) */
  adapterRoot?: string;
  /** replaces expert paths per adapter key ("0", "1", …) */
  adapterOverrides?: Record<string, string>;
  /** the checkpoint loader's other options: expert-path fallback, notices, option names in messages */
  checkpointOptions?: Omit<LoadXLoraCheckpointOptions, 'adapterRoot' | 'adapterOverrides'>;
  backend: Backend;
  /** per base-model tensor: bytes read so far, bytes to read in all, file, tensor */
  onProgress?: LoadProgress;
  /**
   * Storage format of the base weights (default: as stored): every 2-D matrix in that format, quantized as it
   * is read, norms and biases f32; 'q4_k_m' is llama.cpp's Q4_K_M mix. See loadBaseModel.
   */
  dtype?: LoadDtype;
  /** Storage of the LoRA experts' stacked A/B matrices: f32 (default) or f16 (halves their memory; rounds them). */
  expertDtype?: ExpertDtype;
  /** Hears what loading the base changed on its own (format fallbacks). Default: console.warn. */
  onNotice?: (message: string) => void;
}

/** Loads a base model, its X-LoRA checkpoint and experts, and prepares them on `backend`. */
export async function loadXLoraModel(options: LoadXLoraModelOptions): Promise<XLoraModel> {
  const { source, baseDir, xloraDir, backend } = options;
  const base = await loadBaseModel(source, baseDir, { onProgress: options.onProgress, dtype: options.dtype, onNotice: options.onNotice });
  const ckpt = await loadXLoraCheckpoint(source, xloraDir, { ...options.checkpointOptions, adapterRoot: options.adapterRoot, adapterOverrides: options.adapterOverrides });
  const gguf = await findGgufBase(source, baseDir);
  // a GGUF base: tokenizer.json beside the file, else the file's tokenizer.ggml metadata
  const tokenizer = gguf === null ? await loadTokenizer(source, baseDir) : await loadGgufTokenizer(source, gguf);
  const gen = base.generationConfig;
  const eos = gen?.eosTokenId ?? base.config.eosTokenId;
  return new XLoraModel({
    baseConfig: base.config,
    baseWeights: base.weights,
    xloraConfig: ckpt.config,
    classifierWeights: ckpt.classifier,
    classifierFile: ckpt.classifierFile,
    experts: ckpt.experts,
    tokenizer,
    eosTokenIds: eos === null || eos === undefined ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: gen?.padTokenId ?? base.config.padTokenId ?? null,
  }, backend, { expertDtype: options.expertDtype });
}
