import type { DType } from '@xlora/core';
import type { WeightStorage } from './weights.js';
import type { Alloc, BufferPool } from './buffers.js';
import { USAGE_COPY_DST, USAGE_UNIFORM } from './buffers.js';
import type { Kernel, KernelSpec } from './pipelines.js';

/**
 * Storage of a value during one run.
 * - plan:  an intermediate; its buffer comes from the run plan (reused across values by lifetime, kept across runs)
 * - ext:   a buffer that exists already (weight, device feed, host feed uploaded for this run, KV cache appended in place)
 * - fresh: taken from the pool for this run (graph outputs, moved KV caches); handed to output tensors or released
 */
export interface Slot {
  kind: 'plan' | 'ext' | 'fresh';
  bytes: number;
  label: string;
  alloc?: Alloc;
  first: number;
  last: number;
  /** KV caches: tokens written once this run is submitted */
  fillTo?: number;
}

export interface Val {
  slot: Slot;
  shape: number[];
  dtype: DType;
  /** KV cache with spare capacity: physical length of axis 2 */
  cap?: number;
  /** weights split by rows (MatMul weights, Gather tables) */
  chunks?: { slot: Slot; rowStart: number; rows: number }[];
  /** how a weight is stored (undefined: a dense f32/i32 array) */
  storage?: WeightStorage;
}

export interface Step {
  spec: KernelSpec;
  slots: Slot[];
  params: Uint32Array;
  grid: [number, number];
}

export const UNIFORM_SLOT_BYTES = 256;

/**
 * What a run needs that can stay from one run to the next while the shapes repeat: the buffers of intermediate
 * values (assigned by lifetime, so values that do not overlap share a buffer), one uniform buffer holding every
 * step's params (rewritten only when they change), and bind groups (by buffers).
 */
export class Plan {
  readonly uniform: GPUBuffer;
  private readonly lastParams: Uint32Array;
  private readonly allocs: Alloc[] = [];
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** plan-slot order -> buffer */
  readonly buffers: Alloc[] = [];

  constructor(private readonly device: GPUDevice, private readonly pool: BufferPool, planSlots: Slot[], stepCount: number) {
    // greedy interval assignment: a slot reuses a buffer whose previous value died before the slot's first step
    const order = planSlots.map((s, i) => i).sort((a, b) => planSlots[a].first - planSlots[b].first);
    const busy: { alloc: Alloc; last: number }[] = [];
    const free: Alloc[] = [];
    for (const i of order) {
      const s = planSlots[i];
      for (let j = busy.length - 1; j >= 0; j--) {
        if (busy[j].last < s.first) {
          free.push(busy[j].alloc);
          busy.splice(j, 1);
        }
      }
      let best = -1;
      for (let j = 0; j < free.length; j++) {
        if (free[j].size >= s.bytes && (best < 0 || free[j].size < free[best].size)) best = j;
      }
      let alloc: Alloc;
      if (best >= 0) {
        alloc = free.splice(best, 1)[0];
      } else {
        alloc = pool.acquire(s.bytes, s.label);
        this.allocs.push(alloc);
      }
      this.buffers[i] = alloc;
      busy.push({ alloc, last: s.last });
    }
    const size = Math.max(1, stepCount) * UNIFORM_SLOT_BYTES;
    this.uniform = device.createBuffer({ size, usage: USAGE_UNIFORM | USAGE_COPY_DST, label: 'xlora plan params' });
    this.lastParams = new Uint32Array(size / 4);
    this.lastParams.fill(0xffffffff);
  }

  /** Writes the steps' params if they differ from the last run's. */
  writeParams(queue: GPUQueue, steps: readonly Step[]): void {
    const words = new Uint32Array(this.lastParams.length);
    steps.forEach((s, i) => words.set(s.params, (i * UNIFORM_SLOT_BYTES) / 4));
    let same = true;
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== this.lastParams[i]) {
        same = false;
        break;
      }
    }
    if (same) return;
    this.lastParams.set(words);
    queue.writeBuffer(this.uniform, 0, words.buffer, 0, words.byteLength);
  }

  bindGroup(step: number, kernel: Kernel, buffers: readonly Alloc[]): GPUBindGroup {
    let key = `${step}:${kernel.layoutId}`;
    for (const b of buffers) key += `:${b.id}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroups.size > 4096) this.bindGroups.clear();
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.uniform, offset: step * UNIFORM_SLOT_BYTES, size: UNIFORM_SLOT_BYTES } }];
      buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b.buffer } }));
      bg = this.device.createBindGroup({ layout: kernel.layout, entries, label: kernel.spec.name });
      this.bindGroups.set(key, bg);
    }
    return bg;
  }

  dispose(): void {
    for (const a of this.allocs) this.pool.releaseRef(a);
    this.allocs.length = 0;
    this.bindGroups.clear();
    this.uniform.destroy();
  }
}
