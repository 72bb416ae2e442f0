import { anyOutputShapes, BackendError, isTrainingNode, numel, type AnyNode, type DType, type NodeOf } from '@xlora/core';
import type { Alloc } from './buffers.js';
import type { Tunables } from './flags.js';
import { grid, packParams } from './kernels/common.js';
import { COPY_FIELDS, copyKernel } from './kernels/copy.js';
import { opEntry } from './op-table.js';
import { trainingOpEntry } from './training-op-table.js';
import type { Slot, Step, Val } from './plan.js';
import type { KernelSpec } from './pipelines.js';

export interface LowerEnv {
  tun: Tunables;
  maxDim: number;
  maxBinding: number;
  /** per-node constants uploaded at compile time (an op's `constant` in the op table) */
  nodeConst(node: AnyNode): Alloc;
  /** a rotary cos/sin table covering positions [0, positions) for this Rope node's invFreq and factor */
  ropeTable(node: NodeOf<'Rope'>, positions: number): Alloc;
  /** i32 data of a graph input fed from the host this run (undefined: device feed or not an input) */
  hostInts(name: string): Int32Array | undefined;
  /** output names the caller asked for (presents there keep spare capacity) */
  wanted: ReadonlySet<string>;
}

/**
 * Turns the needed nodes of a graph into kernel steps over value slots, with concrete shapes. Each op's own
 * lowering lives in its entry of the op table (op-table.ts); this class holds what they share.
 */
export class Lowering {
  readonly steps: Step[] = [];
  readonly slots: Slot[] = [];
  private readonly compacted = new Map<Val, Val>();
  /** KV allocations appended in place this run (an allocation is appended to at most once per run) */
  readonly claimed = new Set<Alloc>();

  constructor(readonly values: Map<string, Val>, readonly env: LowerEnv) {}

  get tun(): Tunables {
    return this.env.tun;
  }

  slot(kind: Slot['kind'], bytes: number, label: string, alloc?: Alloc): Slot {
    const s: Slot = { kind, bytes: Math.max(bytes, 4), label, alloc, first: -1, last: -1 };
    this.slots.push(s);
    return s;
  }

  val(name: string): Val {
    const v = this.values.get(name);
    if (!v) throw new BackendError(`internal: value "${name}" is not available`);
    return v;
  }

  /** The value with compact layout (KV caches with spare capacity are copied out), as a dense f32/i32 array. */
  dense(name: string): Val {
    const v = this.val(name);
    if (v.chunks && v.chunks.length > 1) throw new BackendError(`weight "${name}" is split into ${v.chunks.length} buffers and cannot feed this op`);
    if (v.storage && v.storage !== 'f32') throw new BackendError(`internal: ${v.storage} weight "${name}" used by an op that reads f32`);
    if (v.cap === undefined || v.cap === v.shape[2]) return v;
    let c = this.compacted.get(v);
    if (!c) {
      const [b, h, t, d] = v.shape;
      const out = this.slot('plan', b * h * t * d * 4, `${name} (compact)`);
      this.copy(v.slot, out, b * h, t * d, v.cap * d, 0, t * d, 0);
      c = { slot: out, shape: v.shape, dtype: v.dtype };
      this.compacted.set(v, c);
    }
    return c;
  }

  step(spec: KernelSpec, slots: Slot[], fields: Parameters<typeof packParams>[0], params: number[], g: [number, number]): void {
    const i = this.steps.length;
    for (const s of slots) {
      if (s.first < 0) s.first = i;
      s.last = i;
    }
    this.steps.push({ spec, slots, params: packParams(fields, params), grid: g });
  }

  /** the grid of a flat one-thread-per-element kernel */
  flat(n: number): [number, number] {
    return grid(Math.ceil(n / this.env.tun.elementwiseWorkgroupSize), this.env.maxDim);
  }

  /** the grid of one workgroup per row */
  rows(n: number): [number, number] {
    return grid(n, this.env.maxDim);
  }

  copy(src: Slot, dst: Slot, outer: number, blk: number, srcStride: number, srcOff: number, dstStride: number, dstOff: number): void {
    const n = outer * blk;
    if (n === 0) return;
    this.step(copyKernel(this.env.tun), [src, dst], COPY_FIELDS, [n, blk, srcStride, srcOff, dstStride, dstOff], this.flat(n));
  }

  output(node: AnyNode, i: number, shape: number[], dtype: DType = 'f32', cap?: number): Val {
    const bytes = numel(cap === undefined ? shape : [shape[0], shape[1], cap, shape[3]]) * 4;
    const v: Val = { slot: this.slot('plan', bytes, node.outputs[i]), shape, dtype, cap };
    this.values.set(node.outputs[i], v);
    return v;
  }

  lower(node: AnyNode): void {
    const shapes = anyOutputShapes(node, node.inputs.map((n) => this.val(n).shape)) as number[][];
    if (isTrainingNode(node)) trainingOpEntry(node.op).lower(node, this, shapes);
    else opEntry(node.op).lower(node, this, shapes);
  }
}
