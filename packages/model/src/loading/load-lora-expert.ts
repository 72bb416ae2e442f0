import { formatShape, InputError, type HostTensor } from '@xlora/core';
import { loraRank, loraScaling, parseLoraConfig, targetsModule, type LoraConfig } from '@xlora/config';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';
import { readJsonFile } from './read-json.js';
import { openSafetensors, type SafetensorsRangeFile } from './safetensors-range-file.js';
import { parseLoraKey, type LoraKey } from './lora-weight-keys.js';

/** One LoRA-wrapped Linear of an expert: A [r, in], B [out, r] (PyTorch layout), optional lora_B bias [out]. */
export interface LoadedLoraModule {
  a: HostTensor<'f32'>;
  b: HostTensor<'f32'>;
  bias?: HostTensor<'f32'>;
  rank: number;
  /** PEFT's scaling for this module: alpha / r, or alpha / sqrt(r) with rslora (rank/alpha patterns honoured). */
  scaling: number;
}

/** A LoRA on an embedding: A [r, vocab], B [hidden, r] (PEFT's lora_embedding_A / lora_embedding_B). */
export interface LoadedLoraEmbedding {
  a: HostTensor<'f32'>;
  b: HostTensor<'f32'>;
  rank: number;
  scaling: number;
}

export interface LoadedLoraExpert {
  name: string;
  /** The folder it was read from (FileSource path). */
  dir: string;
  config: LoraConfig;
  /** Module path (e.g. "model.layers.0.self_attn.q_proj") -> weights. */
  modules: Map<string, LoadedLoraModule>;
  /** Embedding module path (e.g. "model.embed_tokens") -> weights. */
  embeddings: Map<string, LoadedLoraEmbedding>;
}

export interface LoadLoraExpertOptions {
  /** Class index, used in messages ("expert 1 (path experts/code): ..."). */
  index?: number;
  /** Receives non-fatal notes (fan_in_fan_out on Linear layers). Default console.warn. */
  warn?: (message: string) => void;
}

/**
 * Loads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors). Keys may carry PEFT's
 * "base_model.model." prefix and an adapter name (".lora_A.default.weight"). Float16/bfloat16 weights are
 * widened to f32, as PEFT's autocast_adapter_dtype does.
 */
export async function loadLoraExpert(src: FileSource, dir: string, name: string, opts: LoadLoraExpertOptions = {}): Promise<LoadedLoraExpert> {
  const label = opts.index === undefined ? `expert ${JSON.stringify(name)} (path ${dir})` : `expert ${opts.index} (path ${dir})`;
  const configPath = joinPath(dir, 'adapter_config.json');
  if (!(await src.exists(configPath))) throw new InputError(`${label}: adapter_config.json not found at ${src.describe(configPath)}`);
  const configFile = src.describe(configPath);
  const config = parseLoraConfig(await readJsonFile(src, configPath), configFile);
  if (config.useDora) {
    throw new InputError(`DoRA experts are not supported by X-LoRA (PEFT raises at forward): ${configFile} field use_dora`);
  }
  if (config.fanInFanOut) {
    (opts.warn ?? console.warn)(
      `${configFile}: fan_in_fan_out is true, but Llama-family projections are nn.Linear; PEFT resets it to false for them, and so do we (A/B are used as stored)`,
    );
  }
  const weightsPath = joinPath(dir, 'adapter_model.safetensors');
  if (!(await src.exists(weightsPath))) {
    const bin = joinPath(dir, 'adapter_model.bin');
    if (await src.exists(bin)) {
      throw new InputError(`${label}: ${src.describe(bin)} is a PyTorch pickle, which is not supported: convert it to adapter_model.safetensors`);
    }
    throw new InputError(`${label}: adapter_model.safetensors not found at ${src.describe(weightsPath)}`);
  }
  // read by ranges like the base: the header first, then each tensor
  const file = await openSafetensors(src, weightsPath);
  try {
    const { modules, embeddings } = await collectModules(file, config, configFile);
    return { name, dir, config, modules, embeddings };
  } finally {
    await file.close();
  }
}

type Parts = Partial<Record<LoraKey['part'], string>>;

async function collectModules(file: SafetensorsRangeFile, config: LoraConfig, configFile: string): Promise<Pick<LoadedLoraExpert, 'modules' | 'embeddings'>> {
  const byModule = new Map<string, Parts>();
  const adapters = new Set<string>();
  for (const key of file.names()) {
    const parsed = parseLoraKey(key);
    if (!parsed) {
      throw new InputError(
        `${file.file}: unexpected tensor ${JSON.stringify(key)} (only lora_A / lora_B / lora_embedding_A / lora_embedding_B weights are supported; modules_to_save and other PEFT extras are not)`,
      );
    }
    if (parsed.part === 'magnitude') {
      throw new InputError(`${file.file}: tensor ${JSON.stringify(key)} is a DoRA magnitude vector; DoRA experts are not supported by X-LoRA`);
    }
    if (!targetsModule(config, parsed.module)) {
      throw new InputError(
        `${file.file}: tensor ${JSON.stringify(key)} is for module ${JSON.stringify(parsed.module)}, which ${configFile} does not target ` +
          `(${describeSelection(config)}); PEFT does not wrap that module and rejects the file ("Got unexpected keys")`,
      );
    }
    if (parsed.adapter !== null) adapters.add(parsed.adapter);
    const parts = byModule.get(parsed.module) ?? {};
    if (parts[parsed.part]) throw new InputError(`${file.file}: module ${JSON.stringify(parsed.module)} has both ${JSON.stringify(parts[parsed.part])} and ${JSON.stringify(key)}`);
    parts[parsed.part] = key;
    byModule.set(parsed.module, parts);
  }
  if (adapters.size > 1) {
    throw new InputError(`${file.file}: holds weights of several adapters (${[...adapters].map((a) => JSON.stringify(a)).join(', ')}); save each expert on its own`);
  }
  if (byModule.size === 0) throw new InputError(`${file.file}: no LoRA weights found (expected keys like "base_model.model.<module>.lora_A.weight")`);

  const modules = new Map<string, LoadedLoraModule>();
  const embeddings = new Map<string, LoadedLoraEmbedding>();
  for (const [module, parts] of byModule) {
    const isEmbedding = parts.embedding_A !== undefined || parts.embedding_B !== undefined;
    const aKey = isEmbedding ? parts.embedding_A : parts.A;
    const bKey = isEmbedding ? parts.embedding_B : parts.B;
    const what = isEmbedding ? ['lora_embedding_A', 'lora_embedding_B'] : ['lora_A', 'lora_B'];
    if (isEmbedding && (parts.A || parts.B)) throw new InputError(`${file.file}: module ${JSON.stringify(module)} has both Linear and embedding LoRA weights`);
    if (!aKey) throw new InputError(`${file.file}: module ${JSON.stringify(module)} has ${what[1]} but no ${what[0]}`);
    if (!bKey) throw new InputError(`${file.file}: module ${JSON.stringify(module)} has ${what[0]} but no ${what[1]}`);
    const a = await file.readF32(aKey);
    const b = await file.readF32(bKey);
    if (a.shape.length !== 2 || b.shape.length !== 2) {
      throw new InputError(`${file.file}: module ${JSON.stringify(module)}: ${what[0]} ${formatShape(a.shape)} and ${what[1]} ${formatShape(b.shape)} must both be 2-D`);
    }
    const rank = a.shape[0];
    if (b.shape[1] !== rank) {
      throw new InputError(
        `${file.file}: module ${JSON.stringify(module)}: ${what[0]} has rank ${rank} (shape ${formatShape(a.shape)}) but ${what[1]} has rank ${b.shape[1]} (shape ${formatShape(b.shape)})`,
      );
    }
    const wantRank = loraRank(config, module);
    if (rank !== wantRank) {
      throw new InputError(`${file.file}: module ${JSON.stringify(module)}: ${what[0]} has rank ${rank} but adapter_config.json implies r=${wantRank}`);
    }
    const scaling = loraScaling(config, module, rank);
    if (isEmbedding) {
      embeddings.set(module, { a, b, rank, scaling });
      continue;
    }
    const entry: LoadedLoraModule = { a, b, rank, scaling };
    if (parts['B.bias']) {
      const bias = await file.readF32(parts['B.bias']);
      if (bias.shape.length !== 1 || bias.shape[0] !== b.shape[0]) {
        throw new InputError(`${file.file}: module ${JSON.stringify(module)}: lora_B bias has shape ${formatShape(bias.shape)}, expected [${b.shape[0]}]`);
      }
      entry.bias = bias;
    }
    modules.set(module, entry);
  }
  return { modules, embeddings };
}

/** The config fields that select modules, as written, for messages. */
function describeSelection(config: LoraConfig): string {
  const show = (v: unknown) => JSON.stringify(v);
  const parts = [`target_modules ${config.targetModules === null ? 'null (PEFT default q_proj, v_proj)' : show(config.targetModules)}`];
  if (config.layersToTransform !== null) parts.push(`layers_to_transform ${show(config.layersToTransform)}`);
  if (config.layersPattern !== null) parts.push(`layers_pattern ${show(config.layersPattern)}`);
  if (config.excludeModules !== null) parts.push(`exclude_modules ${show(config.excludeModules)}`);
  if (config.modulesToSave !== null) parts.push(`modules_to_save ${show(config.modulesToSave)}`);
  return parts.join(', ');
}
