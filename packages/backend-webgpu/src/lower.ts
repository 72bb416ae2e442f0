import {
  BackendError, InputError, numel, outputShapes, stridesOf,
  type AttentionAttrs, type DType, type GraphNode, type NodeOf, type XLoraMixtureAttrs,
} from '@xlora/core';
import type { Alloc } from './buffers.js';
import type { Tunables } from './flags.js';
import { ATTENTION_FIELDS, attentionKernel } from './kernels/attention.js';
import { grid, packParams } from './kernels/common.js';
import { COPY_FIELDS, copyKernel } from './kernels/copy.js';
import { BINARY_FIELDS, BINARY_MAX_RANK, binaryKernel, UNARY_FIELDS, unaryKernel } from './kernels/elementwise.js';
import { GATHER_FIELDS, gatherKernel } from './kernels/gather.js';
import { KV_APPEND_FIELDS, KV_COPY_FIELDS, kvAppendKernel, kvCopyKernel } from './kernels/kv-cache.js';
import { MATMUL_FIELDS, matmulChoice, matmulGrid, matmulKernel } from './kernels/matmul.js';
import { RMS_NORM_FIELDS, rmsNormKernel } from './kernels/rms-norm.js';
import { ROPE_FIELDS, ropeKernel } from './kernels/rope.js';
import { SOFTMAX_FIELDS, softmaxKernel } from './kernels/softmax.js';
import { mixtureDownKernel, mixtureUpKernel } from './kernels/xlora-mixture.js';
import type { Slot, Step, Val } from './plan.js';
import type { KernelSpec } from './pipelines.js';

export interface LowerEnv {
  tun: Tunables;
  maxDim: number;
  maxBinding: number;
  /** per-node constants uploaded at compile time (rope tables, mixture row->expert tables) */
  nodeConst(node: GraphNode): Alloc;
  /** a rotary cos/sin table covering positions [0, positions) for this Rope node's invFreq and factor */
  ropeTable(node: NodeOf<'Rope'>, positions: number): Alloc;
  /** i32 data of a graph input fed from the host this run (undefined: device feed or not an input) */
  hostInts(name: string): Int32Array | undefined;
  /** output names the caller asked for (presents there keep spare capacity) */
  wanted: ReadonlySet<string>;
}

const NO_TOPK = 0xffffffff;

/** Turns the needed nodes of a graph into kernel steps over value slots, with concrete shapes. */
export class Lowering {
  readonly steps: Step[] = [];
  readonly slots: Slot[] = [];
  private readonly compacted = new Map<Val, Val>();
  /** KV allocations appended in place this run (an allocation is appended to at most once per run) */
  private readonly claimed = new Set<Alloc>();

  constructor(readonly values: Map<string, Val>, private readonly env: LowerEnv) {}

  slot(kind: Slot['kind'], bytes: number, label: string, alloc?: Alloc): Slot {
    const s: Slot = { kind, bytes: Math.max(bytes, 4), label, alloc, first: -1, last: -1 };
    this.slots.push(s);
    return s;
  }

  private val(name: string): Val {
    const v = this.values.get(name);
    if (!v) throw new BackendError(`internal: value "${name}" is not available`);
    return v;
  }

  /** The value with compact layout (KV caches with spare capacity are copied out). */
  private dense(name: string): Val {
    const v = this.val(name);
    if (v.chunks && v.chunks.length > 1) throw new BackendError(`weight "${name}" is split into ${v.chunks.length} buffers and cannot feed this op`);
    if (v.f16) throw new BackendError(`internal: f16 weight "${name}" used by an op that reads f32`);
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

  private step(spec: KernelSpec, slots: Slot[], fields: Parameters<typeof packParams>[0], params: number[], g: [number, number]): void {
    const i = this.steps.length;
    for (const s of slots) {
      if (s.first < 0) s.first = i;
      s.last = i;
    }
    this.steps.push({ spec, slots, params: packParams(fields, params), grid: g });
  }

  private flat(n: number): [number, number] {
    return grid(Math.ceil(n / this.env.tun.elementwiseWorkgroupSize), this.env.maxDim);
  }

  private copy(src: Slot, dst: Slot, outer: number, blk: number, srcStride: number, srcOff: number, dstStride: number, dstOff: number): void {
    const n = outer * blk;
    if (n === 0) return;
    this.step(copyKernel(this.env.tun), [src, dst], COPY_FIELDS, [n, blk, srcStride, srcOff, dstStride, dstOff], this.flat(n));
  }

  private output(node: GraphNode, i: number, shape: number[], dtype: DType = 'f32', cap?: number): Val {
    const bytes = numel(cap === undefined ? shape : [shape[0], shape[1], cap, shape[3]]) * 4;
    const v: Val = { slot: this.slot('plan', bytes, node.outputs[i]), shape, dtype, cap };
    this.values.set(node.outputs[i], v);
    return v;
  }

  lower(node: GraphNode): void {
    const ins = node.inputs.map((n) => this.val(n));
    const shapes = outputShapes(node, ins.map((v) => v.shape)) as number[][];
    switch (node.op) {
      case 'Gather': return this.gather(node, ins, shapes[0]);
      case 'MatMul': return this.matmul(node, shapes[0]);
      case 'Add':
      case 'Mul': return this.binary(node, shapes[0]);
      case 'RmsNorm': {
        const x = this.dense(node.inputs[0]);
        const w = this.dense(node.inputs[1]);
        const y = this.output(node, 0, shapes[0]);
        const h = w.shape[0];
        const rows = h ? numel(x.shape) / h : 0;
        if (rows) this.step(rmsNormKernel(this.env.tun), [x.slot, w.slot, y.slot], RMS_NORM_FIELDS, [rows, h, node.attrs.eps], grid(rows, this.env.maxDim));
        return;
      }
      case 'Rope': {
        const x = this.dense(node.inputs[0]);
        const pos = this.dense(node.inputs[1]);
        const y = this.output(node, 0, shapes[0]);
        const { numHeads, headDim, attentionFactor } = node.attrs;
        const n = numel(pos.shape) * numHeads * (headDim / 2);
        if (!n) return;
        const host = this.env.hostInts(node.inputs[1]);
        let lo = 0, hi = -1;
        if (host) for (const v of host) { if (v < lo) lo = v; if (v > hi) hi = v; }
        const useTable = !!host && lo >= 0;
        const table = useTable
          ? this.slot('ext', 0, 'rope cos/sin', this.env.ropeTable(node, hi + 1))
          : this.slot('ext', 0, 'rope invFreq', this.env.nodeConst(node));
        this.step(ropeKernel(this.env.tun), [x.slot, pos.slot, table, y.slot], ROPE_FIELDS,
          [n, numHeads, headDim, headDim / 2, attentionFactor, useTable ? 1 : 0], this.flat(n));
        return;
      }
      case 'Attention': return this.attention(node, shapes);
      case 'SiluMul':
      case 'Relu': {
        const x = this.dense(node.inputs[0]);
        const y = this.output(node, 0, shapes[0]);
        const n = numel(shapes[0]);
        if (!n) return;
        if (node.op === 'SiluMul') this.step(unaryKernel(this.env.tun, 'silu-mul'), [x.slot, this.dense(node.inputs[1]).slot, y.slot], UNARY_FIELDS, [n], this.flat(n));
        else this.step(unaryKernel(this.env.tun, 'relu'), [x.slot, y.slot], UNARY_FIELDS, [n], this.flat(n));
        return;
      }
      case 'Softmax': {
        const x = this.dense(node.inputs[0]);
        const y = this.output(node, 0, shapes[0]);
        const n = x.shape[x.shape.length - 1];
        const rows = n ? numel(x.shape) / n : 0;
        if (rows) this.step(softmaxKernel(this.env.tun), [x.slot, y.slot], SOFTMAX_FIELDS, [rows, n, node.attrs.temperature], grid(rows, this.env.maxDim));
        return;
      }
      case 'Reshape': {
        const x = this.dense(node.inputs[0]);
        this.values.set(node.outputs[0], { slot: x.slot, shape: shapes[0], dtype: x.dtype });
        return;
      }
      case 'Slice': {
        const x = this.dense(node.inputs[0]);
        const y = this.output(node, 0, shapes[0], x.dtype);
        const { axis } = node.attrs;
        const len = x.shape[axis];
        const start = Math.min(Math.max(node.attrs.start < 0 ? node.attrs.start + len : node.attrs.start, 0), len);
        const inner = stridesOf(x.shape)[axis];
        const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        const take = shapes[0][axis] * inner;
        this.copy(x.slot, y.slot, outer, take, len * inner, start * inner, take, 0);
        return;
      }
      case 'XLoraMixture': return this.mixture(node, shapes[0]);
    }
  }

  private gather(node: NodeOf<'Gather'>, ins: Val[], shape: number[]): void {
    const table = ins[0];
    const ids = this.dense(node.inputs[1]);
    const y = this.output(node, 0, shape);
    const [vocab, h] = table.shape;
    const n = numel(ids.shape) * h;
    if (!n) return;
    if (table.cap !== undefined) throw new BackendError(`Gather "${node.name}": the table cannot be a KV cache`);
    const chunks = table.chunks ?? [{ slot: table.slot, rowStart: 0, rows: vocab }];
    chunks.forEach((c, i) => {
      this.step(gatherKernel(this.env.tun), [c.slot, ids.slot, y.slot], GATHER_FIELDS, [n, h, c.rowStart, c.rows, vocab, i === 0 ? 1 : 0], this.flat(n));
    });
  }

  private matmul(node: NodeOf<'MatMul'>, shape: number[]): void {
    const x = this.dense(node.inputs[0]);
    const w = this.val(node.inputs[1]);
    const bias = node.inputs[2] ? this.dense(node.inputs[2]) : undefined;
    const y = this.output(node, 0, shape);
    const [n, k] = w.shape;
    const m = k ? numel(x.shape) / k : numel(shape.slice(0, -1));
    if (!m || !n) return;
    if (w.cap !== undefined) throw new BackendError(`MatMul "${node.name}": the weight cannot be a KV cache`);
    const choice = matmulChoice(this.env.tun, m, k);
    const spec = matmulKernel(this.env.tun, { ...choice, epilogue: bias ? 'bias' : 'none', wType: w.f16 ? 'f16' : 'f32' });
    const chunks = w.chunks ?? [{ slot: w.slot, rowStart: 0, rows: n }];
    for (const c of chunks) {
      const slots = bias ? [x.slot, c.slot, bias.slot, y.slot] : [x.slot, c.slot, y.slot];
      this.step(spec, slots, MATMUL_FIELDS, [m, c.rows, k, c.rowStart, n, 1, 1, 1, 1, 0, 0, 0, 0], matmulGrid(this.env.tun, choice, m, c.rows, this.env.maxDim));
    }
  }

  private binary(node: NodeOf<'Add' | 'Mul'>, shape: number[]): void {
    const a = this.dense(node.inputs[0]);
    const b = this.dense(node.inputs[1]);
    const y = this.output(node, 0, shape);
    const n = numel(a.shape);
    if (!n) return;
    const bn = numel(b.shape);
    const off = a.shape.length - b.shape.length;
    const isSuffix = b.shape.every((d, i) => d === a.shape[off + i]);
    let mode = 2;
    if (bn === n) mode = 0;
    else if (isSuffix) mode = 1;
    const sh = new Array<number>(BINARY_MAX_RANK).fill(1);
    const bs = new Array<number>(BINARY_MAX_RANK).fill(0);
    if (mode === 2) {
      if (a.shape.length > BINARY_MAX_RANK) throw new BackendError(`${node.op} "${node.name}": broadcasting supports rank <= ${BINARY_MAX_RANK}`);
      const bStr = stridesOf(b.shape);
      a.shape.forEach((d, i) => {
        sh[i] = d;
        const j = i - off;
        bs[i] = j >= 0 && b.shape[j] !== 1 ? bStr[j] : 0;
      });
    }
    this.step(binaryKernel(this.env.tun, node.op === 'Add' ? 'add' : 'mul'), [a.slot, b.slot, y.slot], BINARY_FIELDS,
      [n, Math.max(bn, 1), a.shape.length, mode, ...sh, ...bs], this.flat(n));
  }

  private mixture(node: NodeOf<'XLoraMixture'>, shape: number[]): void {
    const attrs: XLoraMixtureAttrs = node.attrs;
    const x = this.dense(node.inputs[0]);
    const base = this.dense(node.inputs[1]);
    const a = this.val(node.inputs[2]);
    const b = this.val(node.inputs[3]);
    const sc = this.dense(node.inputs[4]);
    const y = this.output(node, 0, shape);
    const [batch, seq, din] = x.shape;
    const dout = base.shape[2];
    const rank = a.shape[0];
    const m = batch * seq;
    const n = m * dout;
    if (!n) return;
    if (!rank) {
      this.copy(base.slot, y.slot, 1, n, 0, 0, 0, 0);
      return;
    }
    const [sb, ss, sl, experts] = sc.shape;
    const layer = sl === 1 ? 0 : attrs.layer;
    const table = this.slot('ext', 0, 'mixture rows', this.env.nodeConst(node));
    const mid = this.slot('plan', m * rank * 4, `${node.name} (rank space)`);
    const down = mixtureDownKernel(this.env.tun, m, din, attrs.topK !== null, attrs.softmaxTopK, a.f16 ? 'f16' : 'f32');
    this.step(down.spec, [x.slot, a.slot, sc.slot, table, mid], MATMUL_FIELDS,
      [m, rank, din, 0, rank, seq, sb, ss, sl, layer, experts, attrs.topK ?? NO_TOPK, attrs.globalWeight],
      matmulGrid(this.env.tun, down.variant, m, rank, this.env.maxDim));
    const up = mixtureUpKernel(this.env.tun, m, rank, b.f16 ? 'f16' : 'f32');
    this.step(up.spec, [mid, b.slot, base.slot, y.slot], MATMUL_FIELDS,
      [m, dout, rank, 0, dout, 1, 1, 1, 1, 0, 0, 0, 0], matmulGrid(this.env.tun, up.variant, m, dout, this.env.maxDim));
  }

  private attention(node: NodeOf<'Attention'>, shapes: number[][]): void {
    const attrs: AttentionAttrs = node.attrs;
    const q = this.dense(node.inputs[0]);
    const k = this.dense(node.inputs[1]);
    const v = this.dense(node.inputs[2]);
    const pk = this.val(node.inputs[3]);
    const pv = this.val(node.inputs[4]);
    const mask = this.dense(node.inputs[5]);
    const { numHeads: heads, numKvHeads: kvHeads, headDim: hd } = attrs;
    const [batch, seq] = q.shape;
    const past = pk.shape[2];
    const total = past + seq;
    const out = this.output(node, 0, shapes[0]);
    const presentShape = [batch, kvHeads, total, hd];
    const capK = pk.cap ?? past, capV = pv.cap ?? past;
    const ak = pk.slot.alloc, av = pv.slot.alloc;
    const inPlace = pk.slot.kind === 'ext' && pv.slot.kind === 'ext' && !!ak && !!av && ak !== av
      && !ak.pinned && !av.pinned && ak.filled === past && av.filled === past
      && capK >= total && capV >= total && capK === capV && !this.claimed.has(ak) && !this.claimed.has(av)
      && batch * kvHeads > 0;
    let presK: Val, presV: Val, cap: number;
    if (inPlace) {
      cap = capK;
      this.claimed.add(ak!);
      this.claimed.add(av!);
      presK = { slot: pk.slot, shape: presentShape, dtype: 'f32', cap };
      presV = { slot: pv.slot, shape: presentShape, dtype: 'f32', cap };
      pk.slot.fillTo = total;
      pv.slot.fillTo = total;
    } else {
      const keep = this.env.wanted.has(node.outputs[1]) || this.env.wanted.has(node.outputs[2]);
      cap = keep ? this.capacityFor(total, batch * kvHeads * hd * 4) : total;
      const bytes = batch * kvHeads * cap * hd * 4;
      presK = { slot: this.slot('fresh', bytes, node.outputs[1]), shape: presentShape, dtype: 'f32', cap };
      presV = { slot: this.slot('fresh', bytes, node.outputs[2]), shape: presentShape, dtype: 'f32', cap };
      presK.slot.fillTo = total;
      presV.slot.fillTo = total;
      const n = batch * kvHeads * past * hd;
      if (n) this.step(kvCopyKernel(this.env.tun), [pk.slot, pv.slot, presK.slot, presV.slot], KV_COPY_FIELDS, [n, past, hd, capK, cap], this.flat(n));
    }
    this.values.set(node.outputs[1], presK);
    this.values.set(node.outputs[2], presV);
    const na = batch * seq * kvHeads * hd;
    if (na) this.step(kvAppendKernel(this.env.tun), [k.slot, v.slot, presK.slot, presV.slot], KV_APPEND_FIELDS, [na, seq, kvHeads, hd, past, cap], this.flat(na));
    const rows = batch * seq * heads;
    if (rows) {
      this.step(attentionKernel(this.env.tun, hd), [q.slot, presK.slot, presV.slot, mask.slot, out.slot], ATTENTION_FIELDS,
        [rows, seq, past, total, cap, heads, kvHeads, heads / kvHeads, attrs.scale], grid(rows, this.env.maxDim));
    }
  }

  /** KV capacity for `total` tokens: room to grow, within one storage binding. */
  private capacityFor(total: number, bytesPerToken: number): number {
    const align = this.env.tun.kvCacheAlign;
    let cap = Math.max(total + this.env.tun.kvCacheMinHeadroom, Math.ceil(total * this.env.tun.kvCacheGrowth));
    cap = Math.ceil(cap / align) * align;
    const maxTokens = bytesPerToken ? Math.floor(this.env.maxBinding / bytesPerToken) : cap;
    if (cap > maxTokens) cap = Math.max(total, maxTokens);
    return cap;
  }
}

/** backend-cpu's check on token ids, for host feeds (device feeds cannot be checked without a read-back). */
export function checkIds(ids: Int32Array | Float32Array, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < vocab)) throw new InputError(`token id ${id} at flat position ${i} is outside the vocabulary [0, ${vocab})`);
  }
}
