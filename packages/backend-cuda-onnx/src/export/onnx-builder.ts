import { dequantize, InputError, isPacked, type Dim, type Graph, type GraphNode, type HostTensor, type PackedTensor, type WeightMap, type WeightTensor } from '@xlora/core';
import type { NodeProto, TensorProto } from 'onnx-buf';
import { MS_DOMAIN, STORED_INITIALIZER_MIN_BYTES } from '../flags.js';
import { tensorByteLength } from './initializer-store.js';
import type { ExportOptions } from './options.js';
import { blockLayout, isBlockQuantizable, toBlockQuantized, type BlockLayout, type BlockQuantized } from './packed/block-quantized.js';
import { float, int, nodeProto, tensorAttr, tensorProto, type AttrValue, type ElemType, type TensorData } from './proto.js';

/** A weight's block-quantized form: its layout now, its arrays when an initializer has to be made from them. */
export interface BlockForm extends BlockLayout {
  /** the stored weight tensor it is repacked from */
  source: PackedTensor;
  /** the repacked arrays (repacked on first call, kept until release()) */
  arrays(): BlockQuantized;
  /**
   * Drops the repacked arrays once a lowering has made its initializers: with an initializer store they are on
   * disk, and keeping every weight's arrays to the end of the export would hold a full extra copy of the weights.
   */
  release(): void;
}

export interface OpOptions {
  attrs?: Readonly<Record<string, AttrValue>>;
  domain?: string;
  /** output names; default one fresh name */
  outputs?: readonly string[];
  /** base for the node name and fresh output names */
  name?: string;
}

/**
 * Collects ONNX nodes and initializers while the IR graph is lowered. Op lowerings (ops/*.ts) talk only to this:
 * `op()` appends a node, `constI64()` / `constF32()` give small constants, `weight()` / `weightT()` give
 * initializers for the IR's weights (plain, or transposed to [in, out] for MatMul).
 */
export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  usesMsDomain = false;

  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly weightNames = new Map<string, string>();
  private readonly transposed = new Map<string, string>();
  private readonly repacked = new Map<string, BlockForm>();
  private readonly widened = new Map<string, HostTensor>();
  /** weights that some node uses as they are (not only as a MatMul operand) */
  private readonly plainUse: Set<string>;
  /** symbolic shape of every value in the IR graph */
  readonly shapes: Map<string, readonly Dim[]>;

  constructor(readonly graph: Graph, readonly weights: WeightMap, readonly options: ExportOptions, shapes: Map<string, readonly Dim[]>) {
    this.shapes = shapes;
    for (const v of [...graph.inputs, ...graph.weights]) this.used.add(v.name);
    for (const n of graph.nodes) for (const o of n.outputs) this.used.add(o);
    this.plainUse = new Set();
    for (const n of graph.nodes) n.inputs.forEach((name, i) => { if (!isTransposedUse(n, i)) this.plainUse.add(name); });
  }

  /** A name not used anywhere in the graph, derived from `base`. */
  fresh(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** Appends a node; returns its output names. */
  op(opType: string, inputs: readonly string[], o: OpOptions & { outputs: readonly string[] }): string[];
  op(opType: string, inputs: readonly string[], o?: OpOptions): string[];
  op(opType: string, inputs: readonly string[], o: OpOptions = {}): string[] {
    const base = o.name ?? opType;
    const outputs = o.outputs ? [...o.outputs] : [this.fresh(`${base}:0`)];
    const domain = o.domain ?? '';
    if (domain === MS_DOMAIN) this.usesMsDomain = true;
    this.nodes.push(nodeProto(opType, inputs, outputs, this.fresh(`${base}#${opType}`), o.attrs, domain));
    return outputs;
  }

  /** Appends a one-output node; returns the output name. */
  op1(opType: string, inputs: readonly string[], o: OpOptions = {}): string {
    return this.op(opType, inputs, o)[0];
  }

  /** An int64 constant (an initializer; equal constants are shared). `dims` defaults to [values.length]. */
  constI64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('i64', dims, BigInt64Array.from(values, (v) => BigInt(v)), values);
  }

  constF32(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.constant('f32', dims, Float32Array.from(values), values);
  }

  constF64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('f64', dims, Float64Array.from(values), values);
  }

  scalarF32(v: number): string {
    return this.constF32([v], []);
  }

  scalarI64(v: number): string {
    return this.constI64([v], []);
  }

  /** Adds a named initializer (for constants too large for the dedupe key, such as cos/sin caches). */
  initializer(base: string, type: ElemType, dims: readonly number[], data: TensorData): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, type, dims, data));
    return name;
  }

  /**
   * An initializer made from weight tensor `source` (`make` gives its bytes): in the initializer store when the
   * options have one and it is large enough (made once for all exports), else in the model.
   */
  derivedInitializer(base: string, type: ElemType, dims: readonly number[], source: WeightTensor, make: () => TensorData): string {
    const name = this.fresh(base);
    this.pushDerived(name, base, type, dims, source, make);
    return name;
  }

  /** The ONNX name of an IR value used as it is; weights become initializers on first use. */
  value(name: string): string {
    if (!this.graph.weights.some((w) => w.name === name)) return name;
    const known = this.weightNames.get(name);
    if (known) return known;
    const stored = this.storedWeight(name);
    // a packed weight read where no lowering takes its format is widened to f32 (same shape)
    const type: ElemType = isPacked(stored) ? 'f32' : stored.dtype;
    this.pushDerived(name, name, type, stored.shape, stored, () => this.hostWeight(name).data);
    this.weightNames.set(name, name);
    return name;
  }

  /** The stored tensor of graph weight `name` when it is packed (any format but f32), else null. */
  packedWeight(name: string): PackedTensor | null {
    if (!this.graph.weights.some((w) => w.name === name)) return null;
    const t = this.storedWeight(name);
    return isPacked(t) ? t : null;
  }

  /**
   * Graph weight `name` in MatMulNBits / GatherBlockQuantized layout when it is stored in a ggml block format those
   * ops compute from exactly (q4_0, q8_0, q4_k, q6_k), else null. Its arrays are repacked at most once per export,
   * and not at all when the initializer store has them already.
   */
  blockQuantized(name: string): BlockForm | null {
    const t = this.packedWeight(name);
    if (!t || !isBlockQuantizable(t)) return null;
    let q = this.repacked.get(name);
    if (!q) {
      let arrays: BlockQuantized | null = null;
      q = {
        ...blockLayout(t, name), source: t,
        arrays: () => (arrays ??= toBlockQuantized(t, name)),
        release: () => { if (this.options.initializerStore) arrays = null; },
      };
      this.repacked.set(name, q);
    }
    return q;
  }

  /**
   * The IR value `name` ([N, K], PyTorch Linear layout) transposed to [K, N], ready for MatMul(x, ·). A weight that
   * nothing else uses becomes a pre-transposed initializer; otherwise a Transpose node (ORT folds it at load).
   */
  weightT(name: string): string {
    const known = this.transposed.get(name);
    if (known) return known;
    let out: string;
    const isWeight = this.graph.weights.some((w) => w.name === name);
    if (isWeight && !this.plainUse.has(name)) {
      const stored = this.storedWeight(name);
      const dtype = isPacked(stored) ? 'f32' : stored.dtype;
      if (stored.shape.length !== 2 || dtype !== 'f32') throw new InputError(`weight "${name}": a MatMul weight must be 2-D f32, got ${dtype} [${stored.shape}]`);
      out = this.derivedInitializer(`${name}.T`, 'f32', [stored.shape[1], stored.shape[0]], stored, () => transposedOf(this.hostWeight(name)));
    } else {
      out = this.op1('Transpose', [this.value(name)], { name: `${name}.T`, attrs: { perm: { kind: 'ints', value: [1, 0] } } });
    }
    this.transposed.set(name, out);
    return out;
  }

  shapeOf(name: string): readonly Dim[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`exporter: no shape known for value "${name}"`);
    return s;
  }

  private constant(type: ElemType, dims: readonly number[], data: TensorData, values: ArrayLike<number>): string {
    const key = `${type}[${dims}]:${Array.from(values).join(',')}`;
    const short = key.length <= 512;
    const known = short ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.initializer(`const_${type}`, type, dims, data);
    if (short) this.constants.set(key, name);
    return name;
  }

  private pushDerived(name: string, key: string, type: ElemType, dims: readonly number[], source: WeightTensor, make: () => TensorData): void {
    const store = this.options.initializerStore;
    this.initializers.push(store && tensorByteLength(type, dims) >= STORED_INITIALIZER_MIN_BYTES
      ? store.initializer(name, type, dims, source, key, make)
      : tensorProto(name, type, dims, make()));
  }

  private storedWeight(name: string): WeightTensor {
    const t = this.weights.get(name);
    if (!t) throw new InputError(`graph "${this.graph.name}" needs weight "${name}", which was not provided`);
    return t;
  }

  /**
   * A weight as a plain host tensor: a packed one used where no lowering reads its format is dequantized here, for
   * this export only (nothing keeps the f32 copy once the session holds its initializer).
   */
  private hostWeight(name: string): HostTensor {
    const t = this.storedWeight(name);
    if (!isPacked(t)) return t;
    let f = this.widened.get(name);
    if (!f) {
      f = dequantize(t);
      this.widened.set(name, f);
    }
    return f;
  }
}

/** MatMul's weight, the mixture's Â / B̂ and MoeMlp's expert matrices are consumed transposed. */
function isTransposedUse(node: GraphNode, inputIndex: number): boolean {
  return (node.op === 'MatMul' && inputIndex === 1) || (node.op === 'XLoraMixture' && (inputIndex === 2 || inputIndex === 3))
    || (node.op === 'MoeMlp' && inputIndex >= 2);
}

/**
 * The [cols, rows] copy of a weight, made per export and not kept: ORT holds its own copy of every initializer, so a
 * cache here would keep a third full-size f32 copy of each MatMul weight for the life of the model (measured: it did
 * not lower the compile peak either, see README "Memory").
 */
function transposedOf(t: HostTensor): Float32Array {
  return transpose2d(t.data as Float32Array, t.shape[0], t.shape[1]);
}

/** [rows, cols] -> [cols, rows], in 32×32 tiles so both sides stay in cache for large weights. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      for (let r = r0; r < r1; r++) {
        const o = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[o + c];
      }
    }
  }
  return out;
}

/** Attribute helpers re-exported for lowerings. */
export const attr = { int, ints: (v: readonly number[]): AttrValue => ({ kind: 'ints', value: v }), float, tensor: tensorAttr };
