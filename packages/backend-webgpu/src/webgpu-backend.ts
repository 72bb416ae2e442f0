import {
  BackendError, InputError, formatShape, isHostTensor, isTrainingNode, numel, sameShape,
  type AnyNode, type BackendInfo, type DeviceTensor, type Executable, type Feed, type Graph,
  type HostTensor, type NodeOf, type RunOptions, type TrainingBackend, type TrainingGraph, type WeightMap, isPacked, resolveWeights,
} from '@xlora/core';
import { BufferPool, MAP_READ, USAGE_COPY_DST, USAGE_MAP_READ, type Alloc } from './buffers.js';
import { isCpuAdapter, tunablesFor, type Tunables, type TuningProfile } from './flags.js';
import { acquireDevice, type AcquireOptions, type Acquired } from './gpu-context.js';
import { ropeCosSinTable } from './kernels/rope.js';
import { Lowering } from './lower.js';
import type { CompileContext, WeightUse } from './op-entry.js';
import { opEntry } from './op-table.js';
import { trainingOpEntry } from './training-op-table.js';
import { PipelineCache, type KernelSpec } from './pipelines.js';
import { Plan, type Val } from './plan.js';
import { WebGpuTensor } from './tensor.js';
import { WeightStore, writeTyped, type WeightEntry, type WeightStorage } from './weights.js';
import { NATIVE_WEIGHT_FORMATS } from './kernels/weight-load/index.js';

export interface WebGpuBackendOptions extends AcquireOptions {
  /** kernel tuning: 'auto' (default) picks the barrier-free 'cpu' profile on SwiftShader / lavapipe, else 'gpu' */
  profile?: TuningProfile;
  /** Lower some device limits (tests, or to mimic a smaller GPU). */
  limits?: { maxStorageBufferBindingSize?: number; maxComputeWorkgroupsPerDimension?: number };
}

/** Counters for tests and benchmarks. */
export interface WebGpuStats {
  /** compute dispatches encoded by the last run */
  lastRunDispatches: number;
  /** GPU buffers created so far (excluding weights' reuse) */
  buffersCreated: number;
  /** weight tensors uploaded so far */
  weightUploads: number;
  /** distinct kernels compiled */
  kernelsCompiled: number;
  /** run plans created (a plan is reused while the shapes repeat) */
  plansCreated: number;
}

/** An executable of an inference or training graph (Executable's `graph` is typed as a Graph: the cast is at compile()). */
class WebGpuExecutable {
  readonly plans = new Map<string, Plan>();
  disposed = false;
  constructor(
    readonly graph: TrainingGraph,
    readonly weights: Map<string, WeightEntry>,
    readonly weightInfo: Map<string, { dtype: HostTensor['dtype']; shape: number[] }>,
    readonly consts: Map<AnyNode, Alloc>,
    /** the host weights: kept alive while the executable is, since their GPU copies are freed when they are collected */
    readonly hostWeights: WeightMap,
    private readonly release: (exe: WebGpuExecutable) => void,
  ) {}
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release(this);
  }
}

/**
 * WebGPU backend: compiles each node to cached WGSL compute pipelines, keeps weights, KV caches and
 * intermediates on the GPU, and copies to the host only in read(). Training graphs (gradient graphs, losses) compile
 * like inference graphs, through the training op table (training-op-table.ts).
 */
export class WebGpuBackend implements TrainingBackend {
  readonly info: BackendInfo;
  readonly device: GPUDevice;
  /** the kernel tunables this backend uses (flags.ts, with the cpu profile's overrides on CPU-emulated adapters) */
  readonly tunables: Tunables;
  readonly limits: { maxStorageBufferBindingSize: number; maxComputeWorkgroupsPerDimension: number; maxStorageBuffersPerShaderStage: number };
  private readonly pool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly weightStore: WeightStore;
  private readonly ownsDevice: boolean;
  private readonly f16: boolean;
  /** holds the Node GPU instance (Dawn) for as long as the backend lives */
  private readonly gpu: GPU | null;
  private disposed = false;
  private lostMessage: string | null = null;
  private readonly lost: Promise<never>;
  private uncaptured: string | null = null;
  private readonly executables = new Set<WebGpuExecutable>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private readonly finalizer = new FinalizationRegistry<Alloc>((a) => {
    if (!this.disposed) this.pool.releaseRef(a);
  });
  /** rotary cos/sin tables by (invFreq, factor), grown on demand */
  private readonly ropeTables = new Map<string, { alloc: Alloc; positions: number }>();
  private plansCreated = 0;
  private lastRunDispatches = 0;

  constructor(acq: Acquired, options: WebGpuBackendOptions = {}) {
    const device = acq.device;
    this.device = device;
    this.gpu = acq.gpu;
    this.ownsDevice = acq.ownsDevice;
    this.f16 = acq.f16;
    const l = device.limits;
    this.limits = {
      maxStorageBufferBindingSize: Math.min(l.maxStorageBufferBindingSize, options.limits?.maxStorageBufferBindingSize ?? Infinity),
      maxComputeWorkgroupsPerDimension: Math.min(l.maxComputeWorkgroupsPerDimension, options.limits?.maxComputeWorkgroupsPerDimension ?? Infinity),
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    };
    if (this.limits.maxStorageBuffersPerShaderStage < 5) {
      throw new BackendError(`WebGPU device ${acq.description} allows ${this.limits.maxStorageBuffersPerShaderStage} storage buffers per shader stage; the kernels need 5`);
    }
    const cpuLike = isCpuAdapter(acq.info) || /swiftshader|llvmpipe|lavapipe/i.test(acq.description);
    this.tunables = tunablesFor(options.profile ?? 'auto', cpuLike);
    const profile = this.tunables.matmulDirect ? 'cpu' : 'gpu';
    this.info = { name: 'webgpu', device: `${acq.description} (${profile} kernels${this.f16 ? ', f16 weights' : ''})`, supportsF16: this.f16, weightFormats: NATIVE_WEIGHT_FORMATS };
    this.pool = new BufferPool(device, this.limits.maxStorageBufferBindingSize, l.maxBufferSize, this.tunables.poolMaxBytes);
    this.pipelines = new PipelineCache(device);
    this.weightStore = new WeightStore(this.pool, device.queue, this.limits.maxStorageBufferBindingSize, acq.description);
    this.lost = device.lost.then((info) => {
      this.lostMessage = `WebGPU device lost (${info.reason ?? 'unknown'}): ${info.message || 'no message'}`;
      throw new BackendError(this.lostMessage);
    });
    this.lost.catch(() => {});
    // destroy() resolves device.lost only later; mark the loss at once so no call races it
    const destroy = device.destroy.bind(device);
    (device as { destroy: () => void }).destroy = () => {
      this.lostMessage ??= 'WebGPU device lost (destroyed): GPUDevice.destroy() was called';
      destroy();
    };
    const onError = (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.uncaptured ??= e?.message ?? String(e);
    };
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  get stats(): WebGpuStats {
    return {
      lastRunDispatches: this.lastRunDispatches, buffersCreated: this.pool.created, weightUploads: this.weightStore.uploads,
      kernelsCompiled: this.pipelines.compiled, plansCreated: this.plansCreated,
    };
  }

  // ---------------------------------------------------------------- compile

  async compile(graph: Graph | TrainingGraph, packedWeights: WeightMap): Promise<Executable> {
    this.check();
    // formats no loader reads (q6_k) become f32 here, once per tensor
    const weights = resolveWeights(packedWeights, this.info.weightFormats);
    // how each use of a weight may hold it (the op table's `weights`); no entry: a dense f32 array
    const uses = new Map<string, (WeightUse | undefined)[]>();
    for (const node of graph.nodes) {
      // training ops read dense f32/i32 arrays only (no weight-use entries)
      const entry = isTrainingNode(node) ? undefined : opEntry(node.op);
      node.inputs.forEach((name, i) => {
        let u = uses.get(name);
        if (!u) uses.set(name, (u = []));
        u.push(entry?.weights?.[i]);
      });
    }
    const entries = new Map<string, WeightEntry>();
    const dtypes = new Map<string, { dtype: HostTensor['dtype']; shape: number[] }>();
    for (const w of graph.weights) {
      const t = weights.get(w.name);
      if (!t) throw new InputError(`graph "${graph.name}" needs weight "${w.name}", which was not provided`);
      const concrete = w.shape.every((d) => typeof d === 'number');
      if (concrete && !sameShape(t.shape, w.shape as number[])) {
        throw new InputError(`weight "${w.name}": expected shape ${formatShape(w.shape)}, got ${formatShape(t.shape)}`);
      }
      const u = uses.get(w.name) ?? [];
      const all = (rule: keyof WeightUse) => u.length > 0 && u.every((x) => x?.[rule]);
      let stored = t;
      let storage: WeightStorage = 'f32';
      if (isPacked(t)) {
        // a use that reads only dense f32 (a norm weight given as f16, say) gets the dequantized copy
        if (all('packed')) storage = t.format === 'f16' ? (this.f16 ? 'f16-native' : 'f16') : (t.format as WeightStorage);
        else stored = resolveWeights(new Map([[w.name, t]]), ['f32']).get(w.name)!;
      } else if (this.f16 && t.dtype === 'f32' && all('narrowToF16')) {
        storage = 'f16-native';
      }
      entries.set(w.name, this.weightStore.get(stored, w.name, storage, all('split')));
      dtypes.set(w.name, { dtype: isPacked(stored) ? 'f32' : stored.dtype, shape: [...t.shape] });
    }
    const consts = new Map<AnyNode, Alloc>();
    const specs: KernelSpec[] = [];
    const ctx: CompileContext = {
      tun: this.tunables,
      graph: graph as Graph,
      dimOf: (name, axis) => {
        const info = graph.weights.find((w) => w.name === name) ?? graph.inputs.find((w) => w.name === name);
        const d = info?.shape[axis < 0 ? info.shape.length + axis : axis];
        return typeof d === 'number' ? d : undefined;
      },
      storageOf: (name) => entries.get(name)?.storage ?? 'f32',
    };
    for (const node of graph.nodes) {
      if (isTrainingNode(node)) {
        const entry = trainingOpEntry(node.op);
        const c = entry.constant?.(node);
        if (c) consts.set(node, this.constant(c.data, c.what));
        specs.push(...entry.kernels(node, ctx));
        continue;
      }
      const entry = opEntry(node.op);
      const c = entry.constant?.(node);
      if (c) consts.set(node, this.constant(c.data, c.what));
      specs.push(...entry.kernels(node, ctx));
    }
    // compile every kernel the graph can use now, so WGSL errors surface at compile() and runs do not stall
    await Promise.all(specs.map((s) => this.pipelines.ensure(s)));
    this.check();
    const exe = new WebGpuExecutable(graph, entries, dtypes, consts, weights, (e) => this.releaseExecutable(e));
    this.executables.add(exe);
    return exe as unknown as Executable;
  }

  private constant(data: Float32Array | Int32Array, what: string): Alloc {
    const a = this.pool.acquirePinned(data.byteLength, what);
    writeTyped(this.device.queue, a.buffer, 0, data);
    return a;
  }

  private ropeTable(node: NodeOf<'Rope'>, positions: number): Alloc {
    const key = `${node.attrs.attentionFactor}|${node.attrs.invFreq.join(',')}`;
    const known = this.ropeTables.get(key);
    if (known && known.positions >= positions) return known.alloc;
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(positions, 1))));
    const alloc = this.constant(ropeCosSinTable(node.attrs.invFreq, node.attrs.attentionFactor, size), 'rope cos/sin');
    // a smaller table may still be bound by work in flight: it stays until dispose (tables grow by doubling)
    this.ropeTables.set(key, { alloc, positions: size });
    return alloc;
  }

  private releaseExecutable(exe: WebGpuExecutable): void {
    for (const p of exe.plans.values()) p.dispose();
    exe.plans.clear();
    for (const a of exe.consts.values()) this.pool.destroy(a);
    exe.consts.clear();
    this.executables.delete(exe);
  }

  // ---------------------------------------------------------------- run

  async run(compiled: Executable, feeds: Readonly<Record<string, Feed>>, options?: RunOptions): Promise<Record<string, DeviceTensor>> {
    this.check();
    const exe = compiled as unknown;
    if (!(exe instanceof WebGpuExecutable)) throw new BackendError('run(): the executable was not compiled by this webgpu backend');
    if (exe.disposed) throw new BackendError(`run(): the executable of graph "${exe.graph.name}" was disposed`);
    const { graph } = exe;
    const wanted = options?.outputs ?? graph.outputs.map((o) => o.name);
    const runOwned: Alloc[] = [];
    try {
      return await this.runInner(exe, graph, feeds, wanted, runOwned);
    } finally {
      for (const a of runOwned) this.pool.releaseRef(a);
    }
  }

  private async runInner(exe: WebGpuExecutable, graph: TrainingGraph, feeds: Readonly<Record<string, Feed>>, wanted: readonly string[],
    runOwned: Alloc[]): Promise<Record<string, DeviceTensor>> {
    const values = new Map<string, Val>();
    const lowering = new Lowering(values, {
      maxDim: this.limits.maxComputeWorkgroupsPerDimension,
      maxBinding: this.limits.maxStorageBufferBindingSize,
      tun: this.tunables,
      nodeConst: (node) => exe.consts.get(node)!,
      ropeTable: (node, positions) => this.ropeTable(node, positions),
      hostInts: (name) => {
        const f = feeds[name];
        return f && isHostTensor(f) && f.dtype === 'i32' ? (f.data as Int32Array) : undefined;
      },
      wanted: new Set(wanted),
    });
    for (const [name, e] of exe.weights) {
      const info = exe.weightInfo.get(name)!;
      const chunks = e.chunks.map((c) => ({ slot: lowering.slot('ext', 0, name, c.alloc), rowStart: c.rowStart, rows: c.rows }));
      values.set(name, { slot: chunks[0].slot, shape: info.shape, dtype: info.dtype, chunks: chunks.length > 1 ? chunks : undefined, storage: e.storage });
    }
    for (const input of graph.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new InputError(`graph "${graph.name}": missing input "${input.name}"`);
      if (feed.dtype !== input.dtype) throw new InputError(`input "${input.name}": expected ${input.dtype}, got ${feed.dtype}`);
      if (isHostTensor(feed)) {
        const a = this.pool.acquire(feed.data.byteLength, `input ${input.name}`);
        runOwned.push(a);
        writeTyped(this.device.queue, a.buffer, 0, feed.data);
        values.set(input.name, { slot: lowering.slot('ext', 0, input.name, a), shape: [...feed.shape], dtype: feed.dtype });
      } else {
        const t = this.own(feed, `input "${input.name}"`);
        values.set(input.name, { slot: lowering.slot('ext', 0, input.name, t.alloc), shape: [...t.shape], dtype: t.dtype, cap: t.capacity });
      }
    }
    // only the nodes the wanted outputs depend on
    const needed = new Set(wanted);
    const nodes: AnyNode[] = [];
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const node = graph.nodes[i];
      if (node.outputs.some((o) => needed.has(o))) {
        nodes.push(node);
        for (const n of node.inputs) needed.add(n);
      }
    }
    nodes.reverse();
    for (const node of nodes) lowering.lower(node);
    for (const name of wanted) {
      const v = values.get(name);
      if (!v) throw new InputError(`graph "${graph.name}" has no output "${name}"`);
      if (v.slot.kind === 'plan') v.slot.kind = 'fresh';
    }
    const { steps, slots } = lowering;
    // kernels (compiled at compile() already, except variants that need run-time shapes)
    const missing = steps.filter((s) => !this.pipelines.get(s.spec.key)).map((s) => s.spec);
    if (missing.length) await Promise.all(missing.map((s) => this.pipelines.ensure(s)));
    this.check();

    // buffers: intermediates from the plan (cached by structure), fresh ones from the pool
    const planSlots = slots.filter((s) => s.kind === 'plan');
    let key = '';
    for (const s of steps) key += s.spec.key + ';';
    key += '#';
    for (const s of planSlots) key += `${s.bytes}:${s.first}:${s.last},`;
    let plan = exe.plans.get(key);
    if (plan) {
      exe.plans.delete(key);
    } else {
      plan = new Plan(this.device, this.pool, planSlots, steps.length);
      this.plansCreated++;
      while (exe.plans.size >= this.tunables.planCacheSize) {
        const oldest = exe.plans.keys().next().value!;
        exe.plans.get(oldest)!.dispose();
        exe.plans.delete(oldest);
      }
    }
    exe.plans.set(key, plan);
    planSlots.forEach((s, i) => (s.alloc = plan!.buffers[i]));
    for (const s of slots) {
      if (s.kind === 'fresh') {
        s.alloc = this.pool.acquire(s.bytes, s.label);
        runOwned.push(s.alloc);
      }
    }

    // encode and submit
    plan.writeParams(this.device.queue, steps);
    if (this.tunables.validateRuns) this.device.pushErrorScope('validation');
    const encoder = this.device.createCommandEncoder({ label: graph.name });
    const pass = encoder.beginComputePass({ label: graph.name });
    steps.forEach((s, i) => {
      const kernel = this.pipelines.get(s.spec.key)!;
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, plan!.bindGroup(i, kernel, s.slots.map((x) => x.alloc!)));
      pass.dispatchWorkgroups(s.grid[0], s.grid[1]);
    });
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    this.lastRunDispatches = steps.length;
    if (this.tunables.validateRuns) {
      const err = await this.device.popErrorScope();
      if (err) throw new BackendError(`WebGPU validation error in graph "${graph.name}": ${err.message}`);
    }
    for (const s of slots) if (s.fillTo !== undefined && s.alloc) s.alloc.filled = s.fillTo;

    const result: Record<string, DeviceTensor> = {};
    for (const name of wanted) {
      const v = values.get(name)!;
      this.pool.retain(v.slot.alloc!);
      result[name] = this.tensor(v.dtype, v.shape, v.slot.alloc!, v.cap);
    }
    return result;
  }

  private tensor(dtype: HostTensor['dtype'], shape: readonly number[], alloc: Alloc, cap?: number): WebGpuTensor {
    const t = new WebGpuTensor(dtype, [...shape], alloc, cap !== undefined && cap !== shape[2] ? cap : undefined);
    if (!alloc.pinned) this.finalizer.register(t, alloc, t);
    return t;
  }

  private own(t: DeviceTensor, what: string): WebGpuTensor {
    if (t.backend !== 'webgpu' || !(t instanceof WebGpuTensor)) throw new BackendError(`${what}: a "${t.backend}" tensor was passed to the webgpu backend`);
    if (t.released) throw new BackendError(`${what}: the tensor was released`);
    return t;
  }

  // ---------------------------------------------------------------- tensors

  upload(t: HostTensor): DeviceTensor {
    this.check();
    const a = this.pool.acquire(t.data.byteLength, 'upload');
    writeTyped(this.device.queue, a.buffer, 0, t.data);
    return this.tensor(t.dtype, t.shape, a);
  }

  async read(t: DeviceTensor): Promise<HostTensor> {
    this.check();
    const wt = this.own(t, 'read()');
    const [b, h, , d] = wt.shape;
    const rows = wt.capacity ?? 0;
    const count = wt.capacity !== undefined ? b * h * rows * d : numel(wt.shape);
    const bytes = count * 4;
    const out = wt.dtype === 'i32' ? new Int32Array(numel(wt.shape)) : new Float32Array(numel(wt.shape));
    if (bytes === 0) return { dtype: wt.dtype, shape: [...wt.shape], data: out } as HostTensor;
    const size = Math.ceil(bytes / 256) * 256;
    const list = this.staging.get(size) ?? [];
    this.staging.set(size, list);
    const staging = list.pop() ?? this.device.createBuffer({ size, usage: USAGE_MAP_READ | USAGE_COPY_DST, label: 'xlora read' });
    const encoder = this.device.createCommandEncoder({ label: 'read' });
    encoder.copyBufferToBuffer(wt.alloc.buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.device.queue.submit([encoder.finish()]);
    try {
      await Promise.race([staging.mapAsync(MAP_READ, 0, size), this.lost]);
    } catch (err) {
      this.check();
      throw new BackendError(`read(): mapping the result failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const src = wt.dtype === 'i32' ? new Int32Array(staging.getMappedRange(0, size), 0, count) : new Float32Array(staging.getMappedRange(0, size), 0, count);
    if (wt.capacity === undefined) {
      out.set(src);
    } else {
      const t2 = wt.shape[2];
      for (let bh = 0; bh < b * h; bh++) out.set(src.subarray(bh * rows * d, (bh * rows + t2) * d), bh * t2 * d);
    }
    staging.unmap();
    list.push(staging);
    return { dtype: wt.dtype, shape: [...wt.shape], data: out } as HostTensor;
  }

  release(t: DeviceTensor): void {
    if (!(t instanceof WebGpuTensor) || t.released) return;
    t.released = true;
    if (this.disposed) return;
    this.finalizer.unregister(t);
    this.pool.releaseRef(t.alloc);
  }

  dispose(): void {
    if (this.disposed) return;
    for (const exe of [...this.executables]) exe.dispose();
    this.disposed = true;
    this.pool.destroyAll();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    if (this.ownsDevice) {
      this.lostMessage ??= 'disposed';
      this.device.destroy();
    }
  }

  private check(): void {
    if (this.disposed) throw new BackendError('the webgpu backend was disposed');
    if (this.lostMessage) throw new BackendError(this.lostMessage);
    if (this.uncaptured) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new BackendError(`WebGPU reported an error on an earlier call: ${msg}`);
    }
  }
}

/**
 * Starts a WebGPU backend: the given device, or an adapter from `navigator.gpu` (browsers) or Dawn through the
 * `webgpu` package (Node; loaded on demand). Throws BackendError "WebGPU is not available: ..." saying what was tried.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const acq = await acquireDevice(options);
  return new WebGpuBackend(acq, options);
}
