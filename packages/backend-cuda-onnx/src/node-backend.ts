import { BackendError, InputError } from '@xlora/core';
import { DEFAULT_INTRA_OP_THREADS } from './flags.js';
import { cudaInstallHint, cudaProviderProblem, ortNodePackageDir } from './cuda-provider.js';
import type { ExportOptions } from './export/options.js';
import type { OrtModule, OrtSessionOptions } from './ort-types.js';
import { probeModel } from './probe.js';
import { messageOf, OrtBackend } from './session-runner.js';
import { ORT_WEIGHT_FORMATS } from './weight-formats.js';
import { WeightFile, weightFileParent } from './weight-file.js';

export type NodeEp = 'cuda' | 'webgpu' | 'cpu';

export interface OnnxBackendOptions {
  /** execution provider (default 'cuda') */
  ep?: NodeEp;
  /** CUDA device ordinal (default 0) */
  deviceId?: number;
  /** when the asked EP cannot start, run on the cpu EP instead of throwing (default false) */
  allowFallback?: boolean;
  /**
   * Keep run() outputs on the device (webgpu only: onnxruntime-node 1.30 binds WebGPU buffers, not CUDA memory).
   * Default true for webgpu.
   */
  keepOutputsOnDevice?: boolean;
  /** exporter choices (contrib ops, rope precision); defaults suit the EP */
  export?: ExportOptions;
  /** ORT intra-op threads (default flags.DEFAULT_INTRA_OP_THREADS: 1, the fastest decode measured here) */
  threads?: number;
  /**
   * Folder for the weight file all of the backend's sessions read their weights from (written once per weight
   * tensor; removed on dispose or exit). Default: the system temp folder, unless it is a tmpfs (a file there is RAM).
   * null, or a tmpfs default: each session gets its weights as in-memory external data (one ORT copy per session).
   */
  weightDir?: string | null;
  /** extra ORT session options (optimisation level, logging; intraOpNumThreads if `threads` is not given) */
  sessionOptions?: OrtSessionOptions;
}

/** The backend over onnxruntime-node; `ep` is the EP actually in use, `fallbackReason` says why it is not the one asked. */
export class OnnxBackend extends OrtBackend {
  constructor(config: ConstructorParameters<typeof OrtBackend>[0], readonly ep: NodeEp, readonly fallbackReason: string | null) {
    super(config);
  }
}

let ortNode: Promise<OrtModule> | null = null;

/**
 * Exporter defaults per EP. On cpu (and cuda, which runs ORT's CPU/CUDA kernels of the same contrib ops) the fused
 * (Skip)SimplifiedLayerNormalization measured 15–20% faster per X-LoRA decode token than the standard-op RmsNorm
 * (small benchmark model, ORT CPU EP: 15.9–16.1 vs 18.7–20.0 ms); the WebGPU EP keeps standard ops and f32 rope angles.
 */
function defaultExportOptions(ep: NodeEp): ExportOptions {
  if (ep === 'webgpu') return { ropeAngles: 'f32' };
  return { ropeAngles: 'f64', contribOps: { simplifiedLayerNorm: true } };
}

/** Loads onnxruntime-node lazily, so importing this package (say, for the exporter) does not load native code. */
export function loadOrtNode(): Promise<OrtModule> {
  ortNode ??= import('onnxruntime-node').then((m) => ((m as { default?: unknown }).default ?? m) as unknown as OrtModule);
  return ortNode;
}

function epConfig(ep: NodeEp, deviceId: number): OrtSessionOptions['executionProviders'] {
  if (ep === 'cuda') return [{ name: 'cuda', deviceId }];
  return [ep];
}

/** Starts the EP: for cuda, checks the provider libraries first; then creates a one-node session on it. */
async function probe(ort: OrtModule, ep: NodeEp, deviceId: number, extra: OrtSessionOptions): Promise<void> {
  if (ep === 'cuda') {
    const problem = cudaProviderProblem();
    if (problem) throw new BackendError(`onnxruntime-node: ${problem}`);
  }
  try {
    const session = await ort.InferenceSession.create(probeModel(), { ...extra, executionProviders: epConfig(ep, deviceId) });
    await session.release();
  } catch (err) {
    const hint = ep === 'cuda' ? `\n${cudaInstallHint(ortNodePackageDir())}` : '';
    throw new BackendError(`onnxruntime-node could not start the ${ep} execution provider: ${messageOf(err)}${hint}`, { cause: err });
  }
}

/**
 * The ONNX Runtime backend for Node: every graph becomes an ONNX model in one InferenceSession on `ep`.
 * Throws a BackendError that says why (and, for CUDA, how to install the provider) when the EP cannot start,
 * unless `allowFallback` lets it use the cpu EP.
 */
export async function createOnnxBackend(options: OnnxBackendOptions = {}): Promise<OnnxBackend> {
  const asked = options.ep ?? 'cuda';
  const deviceId = options.deviceId ?? 0;
  let ort: OrtModule;
  try {
    ort = await loadOrtNode();
  } catch (err) {
    throw new BackendError(`onnxruntime-node could not be loaded: ${messageOf(err)}`, { cause: err });
  }
  // fatal only: ORT would print its errors as coloured lines on stderr too, but every one also rejects the call, where
  // we reword it (and its warnings about node placement are noise here)
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 1024)) {
    throw new InputError(`createOnnxBackend: threads must be an integer from 1 to 1024, got ${options.threads}`);
  }
  const extra: OrtSessionOptions = {
    logSeverityLevel: 4, intraOpNumThreads: DEFAULT_INTRA_OP_THREADS, ...options.sessionOptions,
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
  };
  const candidates: NodeEp[] = options.allowFallback && asked !== 'cpu' ? [asked, 'cpu'] : [asked];
  const failures: string[] = [];
  for (const ep of candidates) {
    try {
      await probe(ort, ep, deviceId, extra);
    } catch (err) {
      failures.push(messageOf(err));
      continue;
    }
    const onDevice = ep === 'webgpu' && (options.keepOutputsOnDevice ?? true);
    const fallbackReason = ep === asked ? null : failures.join('\n');
    const parent = options.weightDir === null ? null : weightFileParent(options.weightDir);
    let weightStore: WeightFile | null = null;
    try {
      weightStore = parent === null ? null : new WeightFile(parent);
    } catch (err) {
      throw new BackendError(`onnxruntime-node: cannot create the weight file folder in ${parent}: ${messageOf(err)}`, { cause: err });
    }
    const version = (ort.env as { versions?: { node?: string } } | undefined)?.versions?.node ?? '1.30';
    return new OnnxBackend({
      ort,
      info: {
        name: 'cuda-onnx',
        device: `onnxruntime-node ${version} ${ep === 'cuda' ? `cuda:${deviceId}` : ep}${fallbackReason ? ` (fallback: ${asked} could not start)` : ''}`,
        supportsF16: false,
        weightFormats: ORT_WEIGHT_FORMATS,
      },
      sessionOptions: { ...extra, executionProviders: epConfig(ep, deviceId) },
      exportOptions: { ...defaultExportOptions(ep), ...options.export },
      outputLocation: onDevice ? 'gpu-buffer' : 'cpu',
      readback: 'identity-session',
      weightStore,
    }, ep, fallbackReason);
  }
  throw new BackendError(failures.length === 1 ? failures[0] : `no execution provider could start:\n  ${failures.join('\n  ')}`);
}
