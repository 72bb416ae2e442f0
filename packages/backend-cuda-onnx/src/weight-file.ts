import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError } from '@xlora/core';
import { TensorProto_DataLocation, type TensorProto } from 'onnx-buf';
import { EXTERNAL_DATA_ALIGN_BYTES } from './flags.js';
import type { InitializerStore } from './export/initializer-store.js';
import { bytesOf, stringEntry, tensorProto, type ElemType, type TensorData } from './export/proto.js';

/** statfs f_type of tmpfs: a file there is RAM, so writing the weights to it would add a copy instead of sharing one. */
const TMPFS_MAGIC = 0x01021994;

export const WEIGHT_FILE_NAME = 'weights.bin';

/**
 * One on-disk external data file per backend that every ORT session of it reads its weight initializers from. Each
 * (weight tensor, derived initializer) is written once, at a page-aligned offset, so ORT memory-maps it: the kernels
 * that prepack a weight (MatMul, MatMulNBits) copy it once from the mapped pages and release the mapping; the
 * others (GatherBlockQuantized, scales) read the page cache, one copy for all sessions. Sessions are created from a
 * model file written beside it (removed once the session exists). The folder goes with dispose() or process exit.
 */
export class WeightFile implements InitializerStore {
  readonly dir: string;
  private fd: number | null;
  private size = 0;
  private modelCount = 0;
  private readonly placed = new WeakMap<object, Map<string, { offset: number; length: number }>>();
  private readonly cleanup = () => this.dispose();

  constructor(parentDir: string) {
    this.dir = mkdtempSync(join(parentDir, 'xlora-ort-weights-'));
    this.fd = openSync(join(this.dir, WEIGHT_FILE_NAME), 'w');
    process.once('exit', this.cleanup);
  }

  /** Bytes written so far (tests, diagnostics). */
  get byteLength(): number {
    return this.size;
  }

  initializer(name: string, type: ElemType, dims: readonly number[], source: object, key: string, make: () => TensorData): TensorProto {
    let bySource = this.placed.get(source);
    if (!bySource) this.placed.set(source, (bySource = new Map()));
    const fullKey = `${key}|${type}|${dims.join(',')}`;
    let at = bySource.get(fullKey);
    if (!at) {
      at = this.append(bytesOf(make()));
      bySource.set(fullKey, at);
    }
    const t = tensorProto(name, type, dims, new Uint8Array(0));
    t.dataLocation = TensorProto_DataLocation.EXTERNAL;
    t.externalData = [stringEntry('location', WEIGHT_FILE_NAME), stringEntry('offset', String(at.offset)), stringEntry('length', String(at.length))];
    return t;
  }

  /** Writes a model beside the weight file; returns its path (remove it with removeModel once ORT has read it). */
  writeModel(bytes: Uint8Array): string {
    const path = join(this.dir, `graph-${this.modelCount++}.onnx`);
    writeFileSync(path, bytes);
    return path;
  }

  removeModel(path: string): void {
    rmSync(path, { force: true });
  }

  dispose(): void {
    process.removeListener('exit', this.cleanup);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private append(bytes: Uint8Array): { offset: number; length: number } {
    if (this.fd === null) throw new BackendError('the ORT weight file was disposed');
    const offset = Math.ceil(this.size / EXTERNAL_DATA_ALIGN_BYTES) * EXTERNAL_DATA_ALIGN_BYTES;
    for (let done = 0; done < bytes.byteLength;) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, offset + done);
    this.size = offset + bytes.byteLength;
    return { offset, length: bytes.byteLength };
  }
}

/** The folder for weight files: `dir`, else the system temp folder unless it is a tmpfs (then null: keep weights in memory). */
export function weightFileParent(dir: string | undefined): string | null {
  if (dir !== undefined) return dir;
  const tmp = tmpdir();
  try {
    return statfsSync(tmp).type === TMPFS_MAGIC ? null : tmp;
  } catch {
    return null;
  }
}
