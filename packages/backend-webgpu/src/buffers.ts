import { BackendError } from '@xlora/core';

// GPUBufferUsage / GPUMapMode values from the WebGPU spec (the globals do not exist in Node without the package)
export const USAGE_MAP_READ = 0x1;
export const USAGE_COPY_SRC = 0x4;
export const USAGE_COPY_DST = 0x8;
export const USAGE_UNIFORM = 0x40;
export const USAGE_STORAGE = 0x80;
export const MAP_READ = 0x1;

/** A GPU buffer shared by tensors (Reshape aliases, in-place KV appends) and counted by reference. */
export interface Alloc {
  readonly id: number;
  readonly buffer: GPUBuffer;
  readonly size: number;
  refs: number;
  /** never returned to the pool (weights, constants) */
  pinned: boolean;
  /** KV caches: tokens written so far along the capacity axis; an append in place is allowed only at this length */
  filled?: number;
}

/** Buffer size classes: multiples of 256 bytes up to 4 KiB, then steps of 1/8 of a power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, bytes);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const e = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / e) * e;
}

/** Storage buffers by size class; released buffers are kept (up to maxPoolBytes) and reused LIFO. */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  private nextId = 1;
  private readonly all = new Set<GPUBuffer>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  /** buffers created (not reused), for tests and benchmarks */
  created = 0;

  constructor(private readonly device: GPUDevice, private readonly maxBinding: number, private readonly maxBuffer: number,
    private readonly maxPoolBytes: number) {}

  idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }

  /** A buffer of at least `bytes` (min 16: WebGPU cannot bind empty buffers), refcount 1. */
  acquire(bytes: number, what: string): Alloc {
    const limit = Math.min(this.maxBinding, this.maxBuffer);
    if (bytes > limit) {
      throw new BackendError(`${what} needs ${bytes} bytes, more than this device binds in one buffer ` +
        `(maxStorageBufferBindingSize ${this.maxBinding}, maxBufferSize ${this.maxBuffer})`);
    }
    let size = sizeClass(bytes);
    if (size > limit) size = Math.ceil(Math.max(16, bytes) / 16) * 16;
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.freeBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST, label: what });
      this.all.add(buffer);
      this.created++;
    }
    return { id: this.idOf(buffer), buffer, size, refs: 1, pinned: false };
  }

  /** A buffer that never goes back to the pool (weights). */
  acquirePinned(bytes: number, what: string): Alloc {
    const a = this.acquire(bytes, what);
    a.pinned = true;
    return a;
  }

  retain(a: Alloc): void {
    a.refs++;
  }

  releaseRef(a: Alloc): void {
    if (a.pinned) return;
    if (--a.refs > 0) return;
    if (a.refs < 0) throw new BackendError('internal: buffer released twice');
    a.filled = undefined;
    if (this.freeBytes + a.size > this.maxPoolBytes) {
      this.all.delete(a.buffer);
      a.buffer.destroy();
      return;
    }
    let list = this.free.get(a.size);
    if (!list) this.free.set(a.size, (list = []));
    list.push(a.buffer);
    this.freeBytes += a.size;
  }

  /** Destroys a pinned buffer (weights of a collected host tensor). */
  destroy(a: Alloc): void {
    this.all.delete(a.buffer);
    a.buffer.destroy();
  }

  get liveBuffers(): number {
    return this.all.size;
  }

  destroyAll(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.clear();
    this.freeBytes = 0;
  }
}
