import type { Graph, NodeOf, OpType } from '@xlora/core';
import type { Tunables } from './flags.js';
import type { Lowering } from './lower.js';
import type { KernelSpec } from './pipelines.js';
import type { WeightStorage } from './weights.js';

/** How an op may hold a weight bound to one of its inputs. */
export interface WeightUse {
  /** the weight may be split by rows across several storage bindings (the op runs once per chunk) */
  split: boolean;
  /** the `preferF16` option may store an f32 weight here as f16 (shader-f16) */
  narrowToF16: boolean;
  /** the op reads a packed weight here through its format's loader (kernels/weight-load), without dequantizing */
  packed: boolean;
}

/** What an op's kernel list may look at while the graph compiles. */
export interface CompileContext {
  tun: Tunables;
  graph: Graph;
  /** a weight's or input's static size on `axis` (negative: from the end); undefined when symbolic */
  dimOf(name: string, axis: number): number | undefined;
  /** how a weight is stored on the device */
  storageOf(name: string): WeightStorage;
}

/**
 * Everything the WebGPU backend knows about one op, in one place: the kernels it compiles ahead of the first run,
 * the per-node constant it uploads at compile time, how it may hold weights on each input, and its lowering into
 * kernel steps. The table in op-table.ts has one entry per op of the catalog.
 */
export interface WebGpuOp<K extends OpType> {
  /** weight inputs (by input index) this op reads in a layout other than a dense f32 array */
  weights?: Readonly<Record<number, WeightUse>>;
  /** a constant table built once per node at compile time (bound through Lowering.env.nodeConst) */
  constant?: (node: NodeOf<K>) => { data: Float32Array | Int32Array; what: string };
  /** kernels to compile at compile() (other shape variants compile on first use) */
  kernels(node: NodeOf<K>, ctx: CompileContext): KernelSpec[];
  /** turns the node into kernel steps; `shapes` are its output shapes */
  lower(node: NodeOf<K>, ctx: Lowering, shapes: number[][]): void;
}
