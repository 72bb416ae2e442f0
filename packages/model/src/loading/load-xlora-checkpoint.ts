import { InputError, type HostTensor } from '@xlora/core';
import { parseOriginalXLoraConfig, parseXLoraConfig, type OriginalXLoraConfig, type XLoraConfig } from '@xlora/config';
import type { FileSource } from './file-source.js';
import { loadLoraExpert, type LoadedLoraExpert } from './load-lora-expert.js';
import { originalClassifierToPeft } from './original-classifier-keys.js';
import { isAbsolutePath, joinPath } from './posix-path.js';
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
  /**
   * Also look for a relative expert path that is not under adapterRoot in the checkpoint folder, then in its
   * parent (nothing further up). Each expert found this way is reported through `notice`. Default false (PEFT).
   */
  searchCheckpointDirs?: boolean;
  /** Receives one line per expert loaded from somewhere other than PEFT's resolution. Default: `warn`. */
  notice?: (message: string) => void;
  /** How the caller's user sets adapterRoot / adapterOverrides (e.g. CLI flags), for error messages. */
  optionNames?: { adapterRoot: string; adapterOverrides: string };
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
    if (2 * config.xloraDepth > classifier.size) {
      // Checked here, against the file, so a huge xlora_depth never drives a loop or an allocation.
      throw new InputError(
        `${configFile}: field "xlora_depth" is ${config.xloraDepth}, which needs ${2 * config.xloraDepth} classifier tensors (a weight and a bias per Linear), but ${file.file} has ${classifier.size}`,
      );
    }
    if (ignored.length) warn(`${file.file}: ignored ${ignored.length} tensor(s) that are not X-LoRA classifier weights, e.g. ${JSON.stringify(ignored[0])}`);
    const names = Object.keys(config.adapters);
    const paths = names.map((k) => ({ configured: config.adapters[k], base: opts.adapterRoot ?? '' }));
    const experts = await loadExperts(src, dir, names, paths, configFile, opts, warn);
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
    const experts = await loadExperts(src, dir, orig.adapterNames, paths, configFile, opts, warn);
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

interface ExpertPath {
  configured: string;
  base: string;
}

async function loadExperts(
  src: FileSource,
  dir: string,
  names: string[],
  paths: ExpertPath[],
  configFile: string,
  opts: LoadXLoraCheckpointOptions,
  warn: (m: string) => void,
): Promise<LoadedLoraExpert[]> {
  const overrides = opts.adapterOverrides ?? {};
  const option = opts.optionNames ?? { adapterRoot: 'adapterRoot', adapterOverrides: 'adapterOverrides' };
  for (const key of Object.keys(overrides)) {
    if (!names.includes(key)) {
      throw new InputError(`${option.adapterOverrides}: unknown adapter ${JSON.stringify(key)} (${configFile} has ${names.map((n) => JSON.stringify(n)).join(', ')})`);
    }
  }
  const dirs: string[] = [];
  for (const [i, key] of names.entries()) {
    const override = overrides[key];
    const configured = override ?? paths[i].configured;
    const from = override !== undefined ? option.adapterOverrides : configFile;
    const tries = override !== undefined ? [{ path: joinPath(opts.adapterRoot ?? '', override), where: '' }] : candidateDirs(dir, paths[i], opts.searchCheckpointDirs === true);
    const hit = await firstExisting(src, tries);
    if (!hit) {
      const resolved = tries.map((t) => src.describe(t.path) || '.');
      const where = resolved.length === 1 ? `resolves to ${resolved[0]}, which has no adapter_config.json` : `was looked for at ${resolved.join(', ')}; none of them has an adapter_config.json`;
      throw new InputError(
        `adapter ${JSON.stringify(key)}: expert folder not found: path ${JSON.stringify(configured)} (from ${from}) ${where} ` +
          `(PEFT resolves adapter paths against the working directory: set ${option.adapterRoot}, or replace the path with ${option.adapterOverrides})`,
      );
    }
    if (hit.where) {
      (opts.notice ?? warn)(
        `adapter ${JSON.stringify(key)}: loading expert from ${src.describe(hit.path)}: path ${JSON.stringify(configured)} (from ${configFile}) ` +
          `is not under ${src.describe(paths[i].base) || '.'}, where PEFT looks; found relative to ${hit.where}`,
      );
    }
    dirs.push(hit.path);
  }
  // A folder listed under several keys is read once: a small config cannot multiply a big expert file in memory.
  const byDir = new Map<string, Promise<LoadedLoraExpert>>();
  return Promise.all(dirs.map(async (d, i) => {
    if (!byDir.has(d)) byDir.set(d, loadLoraExpert(src, d, names[i], { index: i, warn }));
    const e = await byDir.get(d)!;
    return e.name === names[i] ? e : { ...e, name: names[i] };
  }));
}

/** PEFT's resolution first; with `search`, a relative path also in the checkpoint folder and then its parent. */
function candidateDirs(dir: string, p: ExpertPath, search: boolean): Array<{ path: string; where: string }> {
  const out = [{ path: joinPath(p.base, p.configured), where: '' }];
  if (search && !isAbsolutePath(p.configured)) {
    out.push({ path: joinPath(dir, p.configured), where: 'the checkpoint folder' });
    out.push({ path: joinPath(dir, '..', p.configured), where: "the checkpoint folder's parent" });
  }
  return out.filter((c, i) => out.findIndex((o) => o.path === c.path) === i);
}

async function firstExisting(src: FileSource, tries: Array<{ path: string; where: string }>): Promise<{ path: string; where: string } | undefined> {
  for (const t of tries) if (await src.exists(joinPath(t.path, 'adapter_config.json'))) return t;
  return undefined;
}
