import { InputError, type HostTensor } from '@xlora/core';
import { parseOriginalXLoraConfig, parseXLoraConfig, type OriginalXLoraConfig, type XLoraConfig } from '@xlora/config';
import type { FileSource } from './file-source.js';
import { loadLoraExpert, type LoadedLoraExpert } from './load-lora-expert.js';
import { originalClassifierToPeft } from './original-classifier-keys.js';
import { joinPath } from './posix-path.js';
import { readJsonFile } from './read-json.js';
import { parseSafetensors, type SafetensorsFile } from './safetensors-file.js';

export interface LoadedXLoraCheckpoint {
  /** 'peft': adapter_config.json + adapter_model.safetensors; 'original': xlora_config.json + xlora_classifier.safetensors. */
  format: 'peft' | 'original';
  config: XLoraConfig;
  /** The config file, as the source describes it. */
  configFile: string;
  /** The classifier file, as the source describes it (for error messages). */
  classifierFile: string;
  /** Classifier tensors keyed by PEFT's Sequential names: "layers.<i>.weight" / "layers.<i>.bias". */
  classifier: Map<string, HostTensor<'f32'>>;
  /** Experts in class order. */
  experts: LoadedLoraExpert[];
  /** Adapter keys in class order ("0".."n-1" for PEFT; the adapter names for the original format). */
  adapterNames: string[];
  dir: string;
}

export interface LoadXLoraCheckpointOptions {
  /** What relative expert paths are relative to; PEFT uses the working directory (the CLI passes it). Default: the source root. */
  adapterRoot?: string;
  /** Adapter key ("0", "1", ... or an original-format name) -> expert path, replacing the config's path. */
  adapterOverrides?: Record<string, string>;
  warn?: (message: string) => void;
}

const PEFT_PREFIX = 'internal_xlora_classifier.';

/** Loads an X-LoRA checkpoint folder (PEFT or original format) and all its LoRA experts. */
export async function loadXLoraCheckpoint(src: FileSource, dir: string, opts: LoadXLoraCheckpointOptions = {}): Promise<LoadedXLoraCheckpoint> {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const peftConfig = joinPath(dir, 'adapter_config.json');
  const origConfig = joinPath(dir, 'xlora_config.json');
  if (await src.exists(peftConfig)) {
    const configFile = src.describe(peftConfig);
    const config = parseXLoraConfig(await readJsonFile(src, peftConfig), configFile, warn);
    const file = await readClassifierFile(src, dir, 'adapter_model');
    const classifier = new Map<string, HostTensor<'f32'>>();
    const ignored: string[] = [];
    for (const key of file.names()) {
      const at = key.indexOf(PEFT_PREFIX);
      if (at < 0) ignored.push(key);
      else classifier.set(key.slice(at + PEFT_PREFIX.length), file.getF32(key));
    }
    if (ignored.length) warn(`${file.file}: ignored ${ignored.length} tensor(s) that are not X-LoRA classifier weights, e.g. ${JSON.stringify(ignored[0])}`);
    const names = Object.keys(config.adapters);
    const paths = names.map((k) => ({ configured: config.adapters[k], base: opts.adapterRoot ?? '' }));
    const experts = await loadExperts(src, names, paths, configFile, opts, warn);
    return { format: 'peft', config, configFile, classifierFile: file.file, classifier, experts, adapterNames: names, dir };
  }
  if (await src.exists(origConfig)) {
    const configFile = src.describe(origConfig);
    const orig: OriginalXLoraConfig = parseOriginalXLoraConfig(await readJsonFile(src, origConfig), configFile, warn);
    const file = await readClassifierFile(src, dir, 'xlora_classifier');
    const classifier = originalClassifierToPeft(file, orig, configFile);
    // Name-only lists: the original save_pretrained stores expert `name` in `<dir>/<name>/`.
    const paths = orig.adapterNames.map((n, i) => {
      const p = orig.adapterPaths[i];
      return p === null ? { configured: n, base: dir } : { configured: p, base: opts.adapterRoot ?? '' };
    });
    const experts = await loadExperts(src, orig.adapterNames, paths, configFile, opts, warn);
    return { format: 'original', config: orig.config, configFile, classifierFile: file.file, classifier, experts, adapterNames: orig.adapterNames, dir };
  }
  throw new InputError(
    `${src.describe(dir) || '.'}: not an X-LoRA checkpoint: neither adapter_config.json (PEFT) nor xlora_config.json (original xlora) found`,
  );
}

async function readClassifierFile(src: FileSource, dir: string, stem: string): Promise<SafetensorsFile> {
  const path = joinPath(dir, `${stem}.safetensors`);
  if (!(await src.exists(path))) {
    const pickles = [`${stem}.bin`, `${stem}.pt`].map((n) => joinPath(dir, n));
    for (const p of pickles) {
      if (await src.exists(p)) throw new InputError(`${src.describe(p)} is a PyTorch pickle, which is not supported: convert it to ${stem}.safetensors`);
    }
    throw new InputError(`${src.describe(path)}: file not found (the X-LoRA classifier weights)`);
  }
  return parseSafetensors(await src.read(path), src.describe(path));
}

async function loadExperts(
  src: FileSource,
  names: string[],
  paths: Array<{ configured: string; base: string }>,
  configFile: string,
  opts: LoadXLoraCheckpointOptions,
  warn: (m: string) => void,
): Promise<LoadedLoraExpert[]> {
  const overrides = opts.adapterOverrides ?? {};
  for (const key of Object.keys(overrides)) {
    if (!names.includes(key)) {
      throw new InputError(`adapterOverrides: unknown adapter ${JSON.stringify(key)} (${configFile} has ${names.map((n) => JSON.stringify(n)).join(', ')})`);
    }
  }
  const dirs = names.map((key, i) => {
    const override = overrides[key];
    const configured = override ?? paths[i].configured;
    const resolved = override !== undefined ? joinPath(opts.adapterRoot ?? '', override) : joinPath(paths[i].base, configured);
    return { key, configured, resolved, from: override !== undefined ? 'adapterOverrides' : configFile };
  });
  for (const d of dirs) {
    if (!(await src.exists(joinPath(d.resolved, 'adapter_config.json')))) {
      throw new InputError(
        `adapter ${JSON.stringify(d.key)}: expert folder not found: path ${JSON.stringify(d.configured)} (from ${d.from}) resolves to ` +
          `${src.describe(d.resolved) || '.'}, which has no adapter_config.json (PEFT resolves adapter paths against the working directory: ` +
          `set adapterRoot, or replace the path with adapterOverrides)`,
      );
    }
  }
  return Promise.all(dirs.map((d, i) => loadLoraExpert(src, d.resolved, names[i], { index: i, warn })));
}
