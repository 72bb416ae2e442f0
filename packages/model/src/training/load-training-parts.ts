import { loadBaseModel, loadXLoraCheckpoint, type FileSource, type LoadXLoraCheckpointOptions } from '../loading/index.js';
import type { XLoraModelParts } from '../xlora/model-parts.js';

export interface LoadTrainingPartsOptions {
  source: FileSource;
  /** base model folder (config.json + model.safetensors) */
  baseDir: string;
  /** X-LoRA checkpoint folder (PEFT or original format) */
  xloraDir: string;
  /** folder the checkpoint's relative expert paths resolve against (PEFT: the working directory) */
  adapterRoot?: string;
  checkpointOptions?: Omit<LoadXLoraCheckpointOptions, 'adapterRoot'>;
}

/** Base model, checkpoint and experts in host memory (base weights as stored; a backend widens what its gradient kernels need). */
export async function loadTrainingParts(options: LoadTrainingPartsOptions): Promise<XLoraModelParts> {
  const { source } = options;
  const base = await loadBaseModel(source, options.baseDir);
  const ckpt = await loadXLoraCheckpoint(source, options.xloraDir, { ...options.checkpointOptions, adapterRoot: options.adapterRoot });
  return {
    baseConfig: base.config,
    baseWeights: base.weights,
    xloraConfig: ckpt.config,
    classifierWeights: ckpt.classifier,
    classifierFile: ckpt.classifierFile,
    experts: ckpt.experts,
  };
}
