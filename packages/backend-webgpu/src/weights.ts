import { BackendError, numel, type HostTensor } from '@xlora/core';
import type { Alloc, BufferPool } from './buffers.js';
import { toHalfBits } from './half.js';

export interface WeightChunk {
  alloc: Alloc;
  /** first row (of axis 0) held by this chunk, and how many */
  rowStart: number;
  rows: number;
}

/** How a weight is stored on the device: a dense f32 (or i32) array, or f16 (shader-f16). */
export type WeightStorage = 'f32' | 'f16';

export interface WeightEntry {
  chunks: WeightChunk[];
  storage: WeightStorage;
  bytes: number;
}

/** Writes typed data to a buffer; Dawn rejects views of SharedArrayBuffers and sizes that are not multiples of 4. */
export function writeTyped(queue: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
  let view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (view.byteLength === 0) return;
  if (view.byteLength % 4 !== 0 || !(view.buffer instanceof ArrayBuffer)) {
    const copy = new Uint8Array(Math.ceil(view.byteLength / 4) * 4);
    copy.set(view);
    view = copy;
  }
  queue.writeBuffer(buffer, offset, view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Weights uploaded once per host tensor (by object identity, per storage type): compiling another graph over the
 * same WeightMap reuses them. A weight larger than one storage binding is split by rows where its uses allow it.
 */
export class WeightStore {
  private readonly byType = { f32: new WeakMap<HostTensor, WeightEntry>(), f16: new WeakMap<HostTensor, WeightEntry>() };
  private readonly registry = new FinalizationRegistry<WeightEntry>((e) => this.free(e));
  /** tensors uploaded so far, for tests */
  uploads = 0;

  constructor(private readonly pool: BufferPool, private readonly queue: GPUQueue, private readonly maxBinding: number,
    private readonly device: string) {}

  get(t: HostTensor, name: string, storage: 'f32' | 'f16', splitOk: boolean): WeightEntry {
    const known = this.byType[storage].get(t);
    if (known) return known;
    const n = numel(t.shape);
    const elemBytes = storage === 'f16' ? 2 : 4;
    const bytes = n * elemBytes;
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
    const data = storage === 'f16' ? toHalfBits(t.data as Float32Array) : t.data;
    const chunks: WeightChunk[] = [];
    for (let r0 = 0; r0 < Math.max(rows, 1); r0 += Math.max(rowsPerChunk, 1)) {
      const r = Math.min(rowsPerChunk, rows - r0);
      const start = r0 * (rows > 0 ? n / rows : 0);
      const count = r * (rows > 0 ? n / rows : 0);
      const alloc = this.pool.acquirePinned(count * elemBytes, `weight ${name}`);
      const part = storage === 'f16' ? (data as Uint16Array).subarray(start, start + count) : (data as Float32Array | Int32Array).subarray(start, start + count);
      writeTyped(this.queue, alloc.buffer, 0, part);
      chunks.push({ alloc, rowStart: r0, rows: r });
      if (rows === 0) break;
    }
    const entry: WeightEntry = { chunks, storage, bytes };
    this.byType[storage].set(t, entry);
    this.registry.register(t, entry);
    this.uploads++;
    return entry;
  }

  private free(e: WeightEntry): void {
    for (const c of e.chunks) this.pool.destroy(c.alloc);
  }
}
