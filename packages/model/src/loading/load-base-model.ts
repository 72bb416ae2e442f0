import { formatShape, InputError, sameShape, type HostTensor } from '@xlora/core';
import { parseBaseModelConfig, parseGenerationConfig, type GenerationConfig, type LlamaConfig } from '@xlora/config';
import type { FileSource } from './file-source.js';
import { expectedBaseWeights } from './expected-base-weights.js';
import { joinPath } from './posix-path.js';
import { readJsonFile, readOptionalJsonFile } from './read-json.js';
import { loadWeightSet, type LoadProgress, type WeightSet } from './weight-set.js';

export interface LoadedBaseModel {
  config: LlamaConfig;
  /** generation_config.json when present. */
  generationConfig?: GenerationConfig;
  /** Checkpoint names -> f32 tensors (F16/BF16/F64 widened). May alias the file bytes: do not modify. */
  weights: Map<string, HostTensor<'f32'>>;
  dir: string;
}

/**
 * Loads a transformers Llama-family checkpoint folder: config.json, optional generation_config.json, and
 * model.safetensors (or a sharded model.safetensors.index.json). Every tensor the config implies must be there
 * with the right shape (checked in file order, stopping at the first problem, so an absurd num_hidden_layers costs
 * nothing). With tie_word_embeddings, lm_head.weight IS the embedding tensor, as transformers' tie_weights makes it:
 * a stored lm_head.weight is ignored. Without it, lm_head.weight must be stored.
 */
export async function loadBaseModel(src: FileSource, dir: string, opts: { onProgress?: LoadProgress } = {}): Promise<LoadedBaseModel> {
  const configPath = joinPath(dir, 'config.json');
  const config = parseBaseModelConfig(await readJsonFile(src, configPath), src.describe(configPath));
  const genPath = joinPath(dir, 'generation_config.json');
  const genJson = await readOptionalJsonFile(src, genPath);
  const generationConfig = genJson === undefined ? undefined : parseGenerationConfig(genJson, src.describe(genPath));

  const set = await loadWeightSet(src, dir, { onProgress: opts.onProgress });
  const weights = new Map<string, HostTensor<'f32'>>();
  for (const name of set.names()) weights.set(name, set.getF32(name));
  if (config.tieWordEmbeddings && weights.has('model.embed_tokens.weight')) {
    weights.set('lm_head.weight', weights.get('model.embed_tokens.weight')!);
  }

  const configName = src.describe(configPath);
  for (const { name, shape } of expectedBaseWeights(config)) {
    const t = weights.get(name);
    if (!t) {
      const why = name === 'lm_head.weight' ? ' (tie_word_embeddings is false, so the output head is not the embedding)' : layerHint(name, config, set);
      throw new InputError(`${set.file}: missing tensor ${JSON.stringify(name)}, which ${configName} requires${why}`);
    }
    if (!sameShape(t.shape, shape)) {
      const where = set.has(name) ? set.fileOf(name).file : set.file;
      throw new InputError(`${where}: tensor ${JSON.stringify(name)} has shape ${formatShape(t.shape)} but ${configName} implies ${formatShape(shape)}`);
    }
  }
  return { config, ...(generationConfig ? { generationConfig } : {}), weights, dir };
}

/** For a missing tensor of a whole missing block: how many blocks the file has, against num_hidden_layers. */
function layerHint(name: string, config: LlamaConfig, set: WeightSet): string {
  const m = /^model\.layers\.(\d+)\./.exec(name);
  if (!m || set.names().some((n) => n.startsWith(`model.layers.${m[1]}.`))) return '';
  return ` (num_hidden_layers is ${config.numHiddenLayers}, but the file has no tensor of layer ${m[1]})`;
}
