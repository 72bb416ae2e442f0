import { InputError, type HostTensor } from '@xlora/core';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';
import { readJsonFile } from './read-json.js';
import { parseSafetensors, type SafetensorsFile } from './safetensors-file.js';
import { missingTensorMessage, type TensorInfo, type TensorSource } from './tensor-source.js';

/** Progress over all files of a load: bytes so far, total bytes (NaN when the source cannot tell), current file. */
export type LoadProgress = (loadedBytes: number, totalBytes: number, file: string) => void;

/** The tensors of one checkpoint, possibly sharded over several safetensors files. */
export interface WeightSet extends TensorSource {
  readonly files: readonly SafetensorsFile[];
  /** The file that holds `name`. */
  fileOf(name: string): SafetensorsFile;
}

/**
 * Reads `<dir>/<stem>.safetensors.index.json` (sharded: its weight_map names the file of each tensor) when it
 * exists, else `<dir>/<stem>.safetensors`. `stem` defaults to "model".
 */
export async function loadWeightSet(src: FileSource, dir: string, opts: { stem?: string; onProgress?: LoadProgress } = {}): Promise<WeightSet> {
  const stem = opts.stem ?? 'model';
  const indexPath = joinPath(dir, `${stem}.safetensors.index.json`);
  const singlePath = joinPath(dir, `${stem}.safetensors`);
  if (await src.exists(indexPath)) {
    const weightMap = readWeightMap(await readJsonFile(src, indexPath), src.describe(indexPath));
    const shardNames = [...new Set(weightMap.values())];
    const files = await readAll(src, shardNames.map((s) => joinPath(dir, s)), opts.onProgress);
    const byShard = new Map(shardNames.map((s, i) => [s, files[i]]));
    for (const [tensor, shard] of weightMap) {
      const file = byShard.get(shard)!;
      if (!file.has(tensor)) {
        throw new InputError(`${missingTensorMessage(file.file, tensor, file.names())}; ${src.describe(indexPath)} lists it in this shard`);
      }
    }
    return new ShardedWeights(src.describe(indexPath), files);
  }
  if (!(await src.exists(singlePath))) {
    const bin = joinPath(dir, stem === 'model' ? 'pytorch_model.bin' : `${stem}.bin`);
    const hint = (await src.exists(bin)) ? ` (${src.describe(bin)} is a PyTorch pickle, which is not supported: convert it to safetensors)` : '';
    throw new InputError(`${src.describe(singlePath)}: file not found, and no ${stem}.safetensors.index.json beside it${hint}`);
  }
  const [file] = await readAll(src, [singlePath], opts.onProgress);
  return new ShardedWeights(file.file, [file]);
}

function readWeightMap(json: unknown, file: string): Map<string, string> {
  const wm = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).weight_map : undefined;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm) || Object.keys(wm).length === 0) {
    throw new InputError(`${file}: field "weight_map" must be a non-empty object mapping tensor names to shard file names`);
  }
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(wm)) {
    if (typeof v !== 'string' || v === '') throw new InputError(`${file}: field "weight_map" entry ${JSON.stringify(k)} must be a file name, got ${JSON.stringify(v)}`);
    out.set(k, v);
  }
  return out;
}

async function readAll(src: FileSource, paths: string[], onProgress?: LoadProgress): Promise<SafetensorsFile[]> {
  let sizes: number[] = paths.map(() => NaN);
  if (onProgress && src.size) sizes = await Promise.all(paths.map((p) => src.size!(p).catch(() => NaN)));
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  const out: SafetensorsFile[] = [];
  for (const p of paths) {
    const name = src.describe(p);
    const bytes = await src.read(p, onProgress ? (loaded) => onProgress(before + loaded, total, name) : undefined);
    before += bytes.length;
    out.push(parseSafetensors(bytes, name));
  }
  return out;
}

class ShardedWeights implements WeightSet {
  private readonly owner = new Map<string, SafetensorsFile>();

  constructor(
    readonly file: string,
    readonly files: readonly SafetensorsFile[],
  ) {
    for (const f of files) {
      for (const n of f.names()) {
        const prev = this.owner.get(n);
        if (prev) throw new InputError(`${f.file}: tensor ${JSON.stringify(n)} is also in ${prev.file}`);
        this.owner.set(n, f);
      }
    }
  }

  names(): string[] {
    return [...this.owner.keys()];
  }
  has(name: string): boolean {
    return this.owner.has(name);
  }
  fileOf(name: string): SafetensorsFile {
    const f = this.owner.get(name);
    if (!f) throw new InputError(missingTensorMessage(this.file, name, this.names()));
    return f;
  }
  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }
  getF32(name: string): HostTensor<'f32'> {
    return this.fileOf(name).getF32(name);
  }
  getI32(name: string): HostTensor<'i32'> {
    return this.fileOf(name).getI32(name);
  }
  get(name: string): HostTensor {
    return this.fileOf(name).get(name);
  }
}
