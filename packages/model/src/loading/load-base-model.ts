import { canQuantizeTo, formatShape, InputError, sameShape, type PackedFormat, type WeightFormat, type WeightTensor } from '@xlora/core';
import { parseBaseModelConfig, parseGenerationConfig, type GenerationConfig, type LlamaConfig } from '@xlora/config';
import type { FileSource } from './file-source.js';
import { expectedBaseWeights } from './expected-base-weights.js';
import { loadGgufBaseModel } from '../gguf/load-gguf-base-model.js';
import { convertLoadedWeights } from './convert-loaded-weights.js';
import { findGgufBase } from './gguf-dispatch.js';
import { badDtypeError, chooseWeightFormat, formatsOfDtype, isLoadDtype, type LoadDtype } from './load-dtype.js';
import { joinPath } from './posix-path.js';
import { readJsonFile, readOptionalJsonFile } from './read-json.js';
import { readWeightAs } from './read-weight-as.js';
import { FLOAT_DTYPES } from './safetensors-dtypes.js';
import { loadWeightSet, type LoadProgress, type WeightSet } from './weight-set.js';

export interface LoadedBaseModel {
  config: LlamaConfig;
  /** generation_config.json when present. */
  generationConfig?: GenerationConfig;
  /**
   * Checkpoint names -> weights in their storage format: as stored (F16/BF16 as PackedTensors over the file's
   * bytes, F32 as f32, F64 narrowed to f32) or as `dtype` asked. May alias file bytes: do not modify.
   */
  weights: Map<string, WeightTensor>;
  dir: string;
}

export interface LoadBaseModelOptions {
  /** per tensor: bytes read so far, bytes to read in all, file, tensor */
  onProgress?: LoadProgress;
  /**
   * Storage format of the weights (default: as stored in the file). A format quantizes every 2-D weight matrix
   * (embedding and head included) to it, tensor by tensor as they are read, and keeps norms and biases in f32;
   * 'q4_k_m' is llama.cpp's Q4_K_M mix (see quant-mix.ts). A matrix whose rows are not whole blocks of the
   * format falls back to q8_0, else f16, with a notice.
   */
  dtype?: LoadDtype;
  /** Hears what the load changed on its own (format fallbacks). Default: console.warn. */
  onNotice?: (message: string) => void;
}

/**
 * Loads a transformers Llama-family checkpoint folder: config.json, optional generation_config.json, and
 * model.safetensors (or a sharded model.safetensors.index.json). Every tensor the config implies must be there
 * with the right shape (checked in file order against the headers before any tensor is read, stopping at the
 * first problem, so an absurd num_hidden_layers costs nothing). Tensors are then read one at a time from their
 * file ranges; tensors the model does not use are not read. With tie_word_embeddings, lm_head.weight IS the
 * embedding tensor, as transformers' tie_weights makes it: a stored lm_head.weight is ignored. Without it,
 * lm_head.weight must be stored.
 *
 * `dir` may also name a GGUF file (or a folder holding exactly one .gguf and no config.json).
 */
export async function loadBaseModel(src: FileSource, dir: string, opts: LoadBaseModelOptions = {}): Promise<LoadedBaseModel> {
  if (opts.dtype !== undefined && !isLoadDtype(opts.dtype)) throw badDtypeError(opts.dtype);
  const gguf = await findGgufBase(src, dir);
  if (gguf !== null) return loadGgufBase(src, gguf, opts);

  const configPath = joinPath(dir, 'config.json');
  const config = parseBaseModelConfig(await readJsonFile(src, configPath), src.describe(configPath));
  const genPath = joinPath(dir, 'generation_config.json');
  const genJson = await readOptionalJsonFile(src, genPath);
  const generationConfig = genJson === undefined ? undefined : parseGenerationConfig(genJson, src.describe(genPath));

  const set = await loadWeightSet(src, dir);
  try {
    const plan = planReads(set, config, src.describe(configPath), opts.dtype);
    const weights = await readPlanned(set, plan, opts);
    if (config.tieWordEmbeddings) weights.set('lm_head.weight', weights.get('model.embed_tokens.weight')!);
    return { config, ...(generationConfig ? { generationConfig } : {}), weights, dir };
  } finally {
    await set.close();
  }
}

interface PlannedRead {
  name: string;
  /** undefined: as stored */
  format: WeightFormat | undefined;
  /** set when the row length forced `format` instead of this */
  wanted?: WeightFormat;
}

/**
 * Checks every tensor the config implies against the headers (presence, shape, float dtype) and decides each
 * one's format, without reading any tensor data. Reads go in file order, then offset order.
 */
function planReads(set: WeightSet, config: LlamaConfig, configName: string, dtype: LoadDtype | undefined): PlannedRead[] {
  if (dtype !== undefined) {
    for (const f of formatsOfDtype(dtype)) {
      if (f !== 'f32' && !canQuantizeTo(f as PackedFormat)) throw new InputError(`dtype ${dtype}: quantizing to ${f} is not available (no ${f} encoder in @xlora/core)`);
    }
  }
  const tied = config.tieWordEmbeddings;
  const plan: PlannedRead[] = [];
  for (const { name, shape } of expectedBaseWeights(config)) {
    const stored = tied && name === 'lm_head.weight' ? 'model.embed_tokens.weight' : name;
    if (!set.has(stored)) {
      const why = name === 'lm_head.weight' ? ' (tie_word_embeddings is false, so the output head is not the embedding)' : layerHint(name, config, set);
      throw new InputError(`${set.file}: missing tensor ${JSON.stringify(name)}, which ${configName} requires${why}`);
    }
    const info = set.info(stored);
    if (!sameShape(info.shape, shape)) {
      throw new InputError(`${set.fileOf(stored).file}: tensor ${JSON.stringify(name)} has shape ${formatShape(info.shape)} but ${configName} implies ${formatShape(shape)}`);
    }
    if (!FLOAT_DTYPES.has(info.dtype)) {
      throw new InputError(`${set.fileOf(stored).file}: tensor ${JSON.stringify(name)} has dtype ${info.dtype}; a float tensor (F32, F16, BF16 or F64) was expected`);
    }
    if (stored !== name) continue; // the tied head is the embedding, read once
    // A tied embedding is also the head: llama.cpp's mix gives it the head's format.
    const choice = dtype === undefined ? { format: undefined } : chooseWeightFormat(name, shape, dtype, { nLayers: config.numHiddenLayers, tiedEmbeddings: tied });
    plan.push({ name, ...choice });
  }
  const fileIndex = new Map(set.files.map((f, i) => [f, i]));
  const at = (p: PlannedRead) => [fileIndex.get(set.fileOf(p.name))!, set.fileOf(p.name).offset(p.name)] as const;
  return plan.sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
}

async function readPlanned(set: WeightSet, plan: readonly PlannedRead[], opts: LoadBaseModelOptions): Promise<Map<string, WeightTensor>> {
  const headers = set.files.reduce((n, f) => n + f.headerBytes, 0);
  const total = plan.reduce((n, p) => n + set.info(p.name).byteLength, headers);
  let loaded = headers;
  const weights = new Map<string, WeightTensor>();
  const fallbacks = new Map<string, string[]>(); // "q4_k -> q8_0" -> tensor names
  for (const p of plan) {
    const file = set.fileOf(p.name);
    opts.onProgress?.(loaded, total, file.file);
    const onBytes = (bytes: number) => {
      loaded += bytes;
      opts.onProgress?.(loaded, total, file.file, p.name);
    };
    weights.set(p.name, await readWeightAs(file, p.name, p.format, { onBytes }));
    if (p.wanted) {
      const key = `${p.wanted} -> ${p.format}`;
      fallbacks.set(key, [...(fallbacks.get(key) ?? []), p.name]);
    }
  }
  reportFallbacks(set.file, fallbacks, opts);
  return weights;
}

/** A GGUF base (packages/model/src/gguf), then brought to `dtype` when one is asked for. */
async function loadGgufBase(src: FileSource, path: string, opts: LoadBaseModelOptions): Promise<LoadedBaseModel> {
  const base = await loadGgufBaseModel(src, path, { onProgress: opts.onProgress });
  if (opts.dtype !== undefined) reportFallbacks(src.describe(path), convertLoadedWeights(base.weights, opts.dtype, base.config), opts);
  return base;
}

function reportFallbacks(file: string, fallbacks: ReadonlyMap<string, string[]>, opts: LoadBaseModelOptions): void {
  const notice = opts.onNotice ?? ((m: string) => console.warn(m));
  for (const [key, names] of fallbacks) {
    const [wanted, got] = key.split(' -> ');
    const eg = names.slice(0, 3).map((n) => JSON.stringify(n)).join(', ');
    notice(`${file}: ${names.length} tensor(s) stored as ${got} instead of ${wanted}, whose blocks do not fit their rows (${eg}${names.length > 3 ? ', ...' : ''})`);
  }
}

/** For a missing tensor of a whole missing block: how many blocks the file has, against num_hidden_layers. */
function layerHint(name: string, config: LlamaConfig, set: WeightSet): string {
  const m = /^model\.layers\.(\d+)\./.exec(name);
  if (!m || set.names().some((n) => n.startsWith(`model.layers.${m[1]}.`))) return '';
  return ` (num_hidden_layers is ${config.numHiddenLayers}, but the file has no tensor of layer ${m[1]})`;
}
