import type { DeviceTensor, DType } from '@xlora/core';
import type { Alloc } from './buffers.js';

/**
 * A tensor on the WebGPU backend: a (shared, refcounted) GPU buffer plus a logical shape. KV caches returned by
 * Attention are [B, nKv, T, hd] logically but stored with `capacity` >= T rows per head, so the next decode step
 * appends in place; read() and every other op see the compact [B, nKv, T, hd] values.
 */
export class WebGpuTensor implements DeviceTensor {
  readonly backend = 'webgpu';
  released = false;
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    /** @internal */ readonly alloc: Alloc,
    /** physical length of axis 2 for KV caches with spare capacity (undefined: compact) */
    readonly capacity?: number,
  ) {}

  /** the GPUBuffer holding the data (row-major; with `capacity`, [B, nKv, capacity, hd]) */
  get buffer(): GPUBuffer {
    return this.alloc.buffer;
  }
}
