import { BackendError, encodeHalf, isPacked, type WeightTensor } from '@xlora/core';
import type { Alloc, BufferPool } from './buffers.js';
import type { WeightStorage } from './kernels/weight-load/index.js';

export type { WeightStorage };

export interface WeightChunk {
  alloc: Alloc;
  /** first row (of axis 0) held by this chunk, and how many */
  rowStart: number;
  rows: number;
}

export interface WeightEntry {
  chunks: WeightChunk[];
  storage: WeightStorage;
  bytes: number;
}

/**
 * Writes typed data to a buffer; Dawn rejects views of SharedArrayBuffers and sizes that are not multiples of 4
 * (such views are copied, zero-padded to whole words: packed rows need not end on a word).
 */
export function writeTyped(queue: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
  let view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (view.byteLength === 0) return;
  if (view.byteLength % 4 !== 0 || view.byteOffset % 4 !== 0 || !(view.buffer instanceof ArrayBuffer)) {
    const copy = new Uint8Array(Math.ceil(view.byteLength / 4) * 4);
    copy.set(view);
    view = copy;
  }
  queue.writeBuffer(buffer, offset, view.buffer, view.byteOffset, view.byteLength);
}

/** The bytes a weight is uploaded from in `storage`: its own (f32 data, packed blocks as stored), or f32 narrowed to f16. */
function sourceBytes(t: WeightTensor, storage: WeightStorage, name: string): Uint8Array {
  if (isPacked(t)) {
    const format = storage === 'f16-native' ? 'f16' : storage;
    if (t.format !== format) throw new BackendError(`internal: weight "${name}" is ${t.format}, stored as ${storage}`);
    return t.bytes;
  }
  if (storage === 'f32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (storage === 'f16-native' && t.dtype === 'f32') {
    const h = encodeHalf(t.data as Float32Array);
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }
  throw new BackendError(`internal: ${t.dtype} weight "${name}" cannot be stored as ${storage}`);
}

/**
 * Weights uploaded once per host tensor (by object identity, per storage): compiling another graph over the same
 * WeightMap reuses them. A weight larger than one storage binding is split by rows (axis 0) where its uses allow it;
 * packed weights upload their bytes as stored, each chunk a whole number of rows from its own buffer's byte 0.
 */
export class WeightStore {
  private readonly byStorage = new Map<WeightStorage, WeakMap<WeightTensor, WeightEntry>>();
  private readonly registry = new FinalizationRegistry<WeightEntry>((e) => this.free(e));
  /** tensors uploaded so far, for tests */
  uploads = 0;

  constructor(private readonly pool: BufferPool, private readonly queue: GPUQueue, private readonly maxBinding: number,
    private readonly device: string) {}

  get(t: WeightTensor, name: string, storage: WeightStorage, splitOk: boolean): WeightEntry {
    let cache = this.byStorage.get(storage);
    if (!cache) this.byStorage.set(storage, (cache = new WeakMap()));
    const known = cache.get(t);
    if (known) return known;
    const data = sourceBytes(t, storage, name);
    const bytes = data.byteLength;
    const rows = t.shape.length >= 1 ? t.shape[0] : 1;
    const rowBytes = rows > 0 ? bytes / rows : bytes;
    let rowsPerChunk = rows;
    if (bytes > this.maxBinding) {
      rowsPerChunk = Math.floor(this.maxBinding / rowBytes);
      if (!splitOk || t.shape.length < 2 || rowsPerChunk < 1) {
        throw new BackendError(`weight "${name}" [${t.shape.join(', ')}] is ${bytes} bytes (${storage}), more than ` +
          `maxStorageBufferBindingSize ${this.maxBinding} on ${this.device}` +
          (splitOk ? ' and one row alone does not fit' : '; only MatMul weights and Gather tables are split by rows, and this one has other uses'));
      }
    }
    const chunks: WeightChunk[] = [];
    for (let r0 = 0; r0 < Math.max(rows, 1); r0 += Math.max(rowsPerChunk, 1)) {
      const r = Math.min(rowsPerChunk, rows - r0);
      const part = data.subarray(r0 * rowBytes, (r0 + r) * rowBytes);
      const alloc = this.pool.acquirePinned(Math.ceil(part.byteLength / 4) * 4, `weight ${name}`);
      writeTyped(this.queue, alloc.buffer, 0, part);
      chunks.push({ alloc, rowStart: r0, rows: r });
      if (rows === 0) break;
    }
    const entry: WeightEntry = { chunks, storage, bytes };
    cache.set(t, entry);
    this.registry.register(t, entry);
    this.uploads++;
    return entry;
  }

  private free(e: WeightEntry): void {
    for (const c of e.chunks) this.pool.destroy(c.alloc);
  }
}
