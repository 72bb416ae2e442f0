import {
  BackendError, InputError, checkWeights, isHostTensor,
  type Backend, type BackendInfo, type DeviceTensor, type DType, type Executable, type Feed, type Graph,
  type HostTensor, type RunOptions, type WeightMap,
} from '@xlora/core';
import { externalFileBytes } from './export/external-data.js';
import type { FileInitializerStore } from './export/initializer-store.js';
import { graphToModel, serializeModel } from './export/export-graph.js';
import type { ExportOptions } from './export/options.js';
import type { ElemType } from './export/proto.js';
import { identityModel } from './probe.js';
import { SerialQueue } from './serial-queue.js';
import type { OrtDataLocation, OrtDataType, OrtModule, OrtSession, OrtSessionOptions, OrtTensor } from './ort-types.js';

/** A tensor owned by an ORT backend: an ort.Tensor in host memory or (webgpu) a GPU buffer. */
export interface OrtDeviceTensor extends DeviceTensor {
  readonly ort: OrtTensor;
}

/** How one ORT module (onnxruntime-node or onnxruntime-web) with one EP runs graphs. */
export interface OrtRunnerConfig {
  ort: OrtModule;
  info: BackendInfo;
  /** execution providers and other session options, shared by every session */
  sessionOptions: OrtSessionOptions;
  exportOptions: ExportOptions;
  /** 'gpu-buffer' keeps run() outputs (KV caches included) on the device; feeding them back binds them in place */
  outputLocation: 'cpu' | 'gpu-buffer';
  /**
   * How device outputs reach the host: the tensor's own getData() (onnxruntime-web), or running them through an
   * Identity session with CPU outputs (onnxruntime-node 1.30, whose gpu-buffer tensors have no download: calling
   * getData() there aborts the process).
   */
  readback: 'getData' | 'identity-session';
  /**
   * One session call (create, run) at a time across the backend. onnxruntime-web's wasm build needs it: two runs in
   * flight at once (concurrent generate calls on one model) never settle. onnxruntime-node runs sessions concurrently.
   */
  exclusiveSessions?: boolean;
  /**
   * Weight initializers go to this store once for all sessions and sessions load from model files beside it (node:
   * the on-disk weight file); without one, each session gets its weights as in-memory external data.
   */
  weightStore?: FileInitializerStore | null;
}

const ORT_TYPE: Record<DType, OrtDataType> = { f32: 'float32', i32: 'int32' };

class OrtExecutable implements Executable {
  private disposed = false;
  constructor(readonly graph: Graph, readonly session: OrtSession) {}
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.session.release().catch(() => undefined);
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
}

/**
 * The Backend over any ORT module: compile() exports the graph to ONNX and creates one InferenceSession per graph,
 * run() feeds host tensors or this backend's tensors and returns ort.Tensors wrapped as DeviceTensors.
 */
export class OrtBackend implements Backend {
  readonly info: BackendInfo;
  private readonly ort: OrtModule;
  private disposed = false;
  private readonly readbackSessions = new Map<string, Promise<OrtSession>>();
  private readonly sessionCalls: SerialQueue | null;

  constructor(private readonly config: OrtRunnerConfig) {
    this.info = config.info;
    this.ort = config.ort;
    this.sessionCalls = config.exclusiveSessions ? new SerialQueue() : null;
  }

  /** A session call, queued behind the others when the ORT build needs them one at a time. */
  private sessionCall<T>(call: () => Promise<T>): Promise<T> {
    return this.sessionCalls ? this.sessionCalls.run(call) : call();
  }

  /**
   * Exports the graph and creates its session: with a weight store, from a model file whose weight initializers
   * are in the store's file (written once for all graphs); else with the weights as in-memory external data.
   */
  async compile(graph: Graph, weights: WeightMap): Promise<Executable> {
    this.check();
    checkWeights(graph, weights);
    const store = this.config.weightStore ?? null;
    // every storage format goes to the exporter as it is: block formats become MatMulNBits / GatherBlockQuantized,
    // f16/bf16 tables a Gather + Cast, and what no lowering reads natively is dequantized there, for this export only
    const model = graphToModel(graph, weights, store ? { ...this.config.exportOptions, initializerStore: store } : this.config.exportOptions);
    const options: OrtSessionOptions = { ...this.config.sessionOptions };
    if (this.config.outputLocation !== 'cpu') options.preferredOutputLocation = this.config.outputLocation;
    let source: Uint8Array | string;
    if (store) {
      // the weights are in the store's file already; what is left (small constants) fits in the model
      source = store.writeModel(serializeModel(model, { ...this.config.exportOptions, externalDataThresholdBytes: Infinity, external: { location: () => '' } }).bytes);
    } else {
      // Every initializer of EXTERNAL_DATA_MIN_TENSOR_BYTES or more goes to the session as its own in-memory external
      // "file" whose data is a view of the tensor's bytes: the model protobuf then holds no weights, so no serialized
      // copy of them exists next to ORT's own (see README "Memory").
      const { bytes, externalFiles } = serializeModel(model, {
        ...this.config.exportOptions,
        externalDataThresholdBytes: 0,
        external: { location: (i) => `${graph.name.replace(/[^\w.-]/g, '_')}.w${i}.bin`, maxChunkBytes: 0 },
      });
      if (externalFiles.length) options.externalData = externalFiles.map((f) => ({ path: f.path, data: externalFileBytes(f) }));
      source = bytes;
    }
    let session: OrtSession;
    try {
      session = await this.sessionCall(() => this.ort.InferenceSession.create(source, options));
    } catch (err) {
      throw new BackendError(`${this.info.name}: ORT could not create a session for graph "${graph.name}" on ${this.info.device}: ${messageOf(err)}`, { cause: err });
    } finally {
      if (typeof source === 'string') store?.removeModel(source);
    }
    return new OrtExecutable(graph, session);
  }

  async run(exe: Executable, feeds: Readonly<Record<string, Feed>>, options?: RunOptions): Promise<Record<string, DeviceTensor>> {
    this.check();
    if (!(exe instanceof OrtExecutable)) throw new BackendError(`${this.info.name}: run() got an executable from another backend`);
    if (exe.isDisposed) throw new BackendError(`${this.info.name}: graph "${exe.graph.name}" was disposed`);
    const { graph, session } = exe;
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const input of graph.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new InputError(`graph "${graph.name}": missing input "${input.name}"`);
      if (feed.dtype !== input.dtype) throw new InputError(`input "${input.name}": expected ${input.dtype}, got ${feed.dtype}`);
      ortFeeds[input.name] = this.toOrt(feed);
    }
    const wanted = options?.outputs ?? graph.outputs.map((o) => o.name);
    for (const name of wanted) {
      if (!graph.outputs.some((o) => o.name === name)) throw new InputError(`graph "${graph.name}" has no output "${name}"`);
    }
    let results: Record<string, OrtTensor>;
    try {
      results = await this.sessionCall(() => session.run(ortFeeds, wanted));
    } catch (err) {
      throw new BackendError(`${this.info.name}: running graph "${graph.name}" failed: ${messageOf(err)}`, { cause: err });
    }
    const out: Record<string, DeviceTensor> = {};
    for (const name of wanted) out[name] = this.wrap(results[name]);
    return out;
  }

  upload(t: HostTensor): DeviceTensor {
    this.check();
    return this.wrap(new this.ort.Tensor(ORT_TYPE[t.dtype], t.data, t.shape));
  }

  async read(t: DeviceTensor): Promise<HostTensor> {
    this.check();
    let ot = this.own(t).ort;
    if (ot.location !== 'cpu') {
      ot = this.config.readback === 'getData' ? ot : await this.readThroughIdentity(ot);
    }
    const data = ot.location === 'cpu' ? ot.data : await ot.getData();
    const shape = [...ot.dims];
    if (data instanceof Float32Array) return { dtype: 'f32', shape, data };
    if (data instanceof Int32Array) return { dtype: 'i32', shape, data };
    if (data instanceof BigInt64Array) return { dtype: 'i32', shape, data: Int32Array.from(data, (v) => Number(v)) };
    throw new BackendError(`${this.info.name}: cannot read a tensor of type ${ot.type}`);
  }

  release(t: DeviceTensor): void {
    if (isHostTensor(t) || t.backend !== this.info.name) return;
    (t as OrtDeviceTensor).ort.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.readbackSessions.values()) void s.then((x) => x.release()).catch(() => undefined);
    this.readbackSessions.clear();
    // sessions that read the weight file keep their mappings (unlinking leaves mapped pages valid)
    this.config.weightStore?.dispose();
  }

  private wrap(t: OrtTensor): OrtDeviceTensor {
    if (t.type !== 'float32' && t.type !== 'int32' && t.type !== 'int64') {
      throw new BackendError(`${this.info.name}: graph produced a ${t.type} tensor; only float32/int32 cross the backend boundary`);
    }
    return { backend: this.info.name, dtype: t.type === 'float32' ? 'f32' : 'i32', shape: [...t.dims], ort: t };
  }

  private toOrt(feed: Feed): OrtTensor {
    if (isHostTensor(feed)) return new this.ort.Tensor(ORT_TYPE[feed.dtype], feed.data, feed.shape);
    return this.own(feed).ort;
  }

  private own(t: DeviceTensor): OrtDeviceTensor {
    if (t.backend !== this.info.name) throw new BackendError(`a "${t.backend}" tensor was passed to the ${this.info.name} backend`);
    return t as OrtDeviceTensor;
  }

  /** Copies a device tensor to the host with an Identity session on the same EP whose output lives on the CPU. */
  private async readThroughIdentity(t: OrtTensor): Promise<OrtTensor> {
    const type = ({ float32: 'f32', int32: 'i32', int64: 'i64' } as Record<string, ElemType>)[t.type];
    if (!type) throw new BackendError(`${this.info.name}: cannot read a device tensor of type ${t.type}`);
    let session = this.readbackSessions.get(type);
    if (!session) {
      session = this.ort.InferenceSession.create(identityModel(type), {
        ...this.config.sessionOptions, preferredOutputLocation: 'cpu' satisfies OrtDataLocation,
      });
      this.readbackSessions.set(type, session);
    }
    const ready = await session;
    const { y } = await this.sessionCall(() => ready.run({ x: t }, ['y']));
    return y;
  }

  private check(): void {
    if (this.disposed) throw new BackendError(`the ${this.info.name} backend was disposed`);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
