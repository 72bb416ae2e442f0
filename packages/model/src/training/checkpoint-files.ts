import { serializeLoraConfig, serializeXLoraConfig, type XLoraConfig } from '@xlora/config';
import type { ExpertWeights } from '@xlora/lora-layers';
import { writeSafetensors } from '../io/safetensors-writer.js';
import type { TrainableParameters } from './trainable-parameters.js';

/** Folder (inside the checkpoint) where trained experts are saved, one PEFT LoRA adapter each. */
export const TRAINED_EXPERTS_DIR = 'trained-experts';

export interface CheckpointFilesOptions {
  /** the adapter_config.json text of the checkpoint trained from: written back unchanged when only the classifier was trained, as PEFT does */
  sourceConfigText: string | null;
  config: XLoraConfig;
  experts: readonly ExpertWeights[];
}

/**
 * The files of a trained checkpoint, by path relative to its folder (in memory: Node writes them, a browser offers
 * them for download). What PeftModel.save_pretrained writes at the top level: adapter_config.json and
 * adapter_model.safetensors (every classifier tensor, PEFT's keys, F32, metadata {"format":"pt"}). PEFT drops
 * trained experts; here each trained expert is also saved as an ordinary PEFT LoRA adapter in
 * `trained-experts/<key>/` (adapter_config.json, adapter_model.safetensors with
 * `base_model.model.<module>.lora_{A,B}.weight`), and adapter_config.json's `adapters` point there, relative to the
 * checkpoint folder (PEFT resolves them against its working directory; our loader also tries the checkpoint folder).
 */
export function trainedCheckpointFiles(params: TrainableParameters, options: CheckpointFilesOptions): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (s: string) => new TextEncoder().encode(s);
  const trained = params.expertTensors();
  files.set('adapter_model.safetensors', writeSafetensors(params.classifierTensors()));
  if (trained.size === 0 && options.sourceConfigText !== null) {
    files.set('adapter_config.json', text(options.sourceConfigText));
    return files;
  }
  const adapters = { ...options.config.adapters };
  const keys = Object.keys(adapters);
  for (const [expert, tensors] of trained) {
    const rel = `${TRAINED_EXPERTS_DIR}/${keys[expert]}`;
    files.set(`${rel}/adapter_config.json`, text(`${JSON.stringify(serializeLoraConfig(options.experts[expert].config), null, 2)}\n`));
    files.set(`${rel}/adapter_model.safetensors`, writeSafetensors(tensors));
    adapters[keys[expert]] = rel;
  }
  files.set('adapter_config.json', text(`${JSON.stringify({ ...serializeXLoraConfig(options.config), adapters, inference_mode: true }, null, 2)}\n`));
  return files;
}
