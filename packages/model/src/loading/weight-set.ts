import { InputError } from '@xlora/core';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';
import { readJsonFile } from './read-json.js';
import { openSafetensors, type SafetensorsRangeFile } from './safetensors-range-file.js';
import { missingTensorMessage, type TensorInfo } from './tensor-source.js';

/**
 * Progress of a load: bytes read so far, bytes the load reads in all (NaN when the source cannot tell), the
 * current file and, once tensors are read, the tensor just read.
 */
export type LoadProgress = (loadedBytes: number, totalBytes: number, file: string, tensor?: string) => void;

/**
 * The tensors of one checkpoint, possibly sharded over several safetensors files, opened for range reads: the
 * headers are read and validated up front, each tensor is read from its file range on demand. Holds one open
 * handle per file until `close`.
 */
export interface WeightSet {
  /** the index file, or the single file, for messages */
  readonly file: string;
  readonly files: readonly SafetensorsRangeFile[];
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The file that holds `name`. */
  fileOf(name: string): SafetensorsRangeFile;
  close(): Promise<void>;
}

/**
 * Opens `<dir>/<stem>.safetensors.index.json` (sharded: its weight_map names the file of each tensor) when it
 * exists, else `<dir>/<stem>.safetensors`. `stem` defaults to "model". Reads only the headers.
 */
export async function loadWeightSet(src: FileSource, dir: string, opts: { stem?: string } = {}): Promise<WeightSet> {
  const stem = opts.stem ?? 'model';
  const indexPath = joinPath(dir, `${stem}.safetensors.index.json`);
  const singlePath = joinPath(dir, `${stem}.safetensors`);
  if (await src.exists(indexPath)) {
    const weightMap = readWeightMap(await readJsonFile(src, indexPath), src.describe(indexPath));
    const shardNames = [...new Set(weightMap.values())];
    const files = await openAll(src, shardNames.map((s) => joinPath(dir, s)));
    try {
      const byShard = new Map(shardNames.map((s, i) => [s, files[i]]));
      for (const [tensor, shard] of weightMap) {
        const file = byShard.get(shard)!;
        if (!file.has(tensor)) {
          throw new InputError(`${missingTensorMessage(file.file, tensor, file.names())}; ${src.describe(indexPath)} lists it in this shard`);
        }
      }
      return new ShardedWeights(src.describe(indexPath), files);
    } catch (err) {
      await closeAll(files);
      throw err;
    }
  }
  if (!(await src.exists(singlePath))) {
    const bin = joinPath(dir, stem === 'model' ? 'pytorch_model.bin' : `${stem}.bin`);
    const hint = (await src.exists(bin)) ? ` (${src.describe(bin)} is a PyTorch pickle, which is not supported: convert it to safetensors)` : '';
    throw new InputError(`${src.describe(singlePath)}: file not found, and no ${stem}.safetensors.index.json beside it${hint}`);
  }
  const [file] = await openAll(src, [singlePath]);
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

async function openAll(src: FileSource, paths: string[]): Promise<SafetensorsRangeFile[]> {
  const out: SafetensorsRangeFile[] = [];
  try {
    for (const p of paths) out.push(await openSafetensors(src, p));
  } catch (err) {
    await closeAll(out);
    throw err;
  }
  return out;
}

async function closeAll(files: readonly SafetensorsRangeFile[]): Promise<void> {
  await Promise.all(files.map((f) => f.close()));
}

class ShardedWeights implements WeightSet {
  private readonly owner = new Map<string, SafetensorsRangeFile>();

  constructor(
    readonly file: string,
    readonly files: readonly SafetensorsRangeFile[],
  ) {
    for (const f of files) {
      for (const n of f.names()) {
        const prev = this.owner.get(n);
        if (prev) throw new InputError(`${f.file}: tensor ${JSON.stringify(n)} is also in ${prev.file}`); // (the caller closes the files)
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
  fileOf(name: string): SafetensorsRangeFile {
    const f = this.owner.get(name);
    if (!f) throw new InputError(missingTensorMessage(this.file, name, this.names()));
    return f;
  }
  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }
  close(): Promise<void> {
    return closeAll(this.files);
  }
}
