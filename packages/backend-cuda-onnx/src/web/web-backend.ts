import { BackendError } from '@xlora/core';
import type { ExportOptions } from '../export/options.js';
import type { OrtModule, OrtSessionOptions } from '../ort-types.js';
import { probeModel } from '../probe.js';
import { messageOf, OrtBackend } from '../session-runner.js';
import { ORT_WEIGHT_FORMATS } from '../weight-formats.js';

export type WebEp = 'wasm' | 'webgpu';

export interface OrtWebBackendOptions {
  /** execution provider (default 'wasm') */
  ep?: WebEp;
  /**
   * The onnxruntime-web module to use. Default: `import('onnxruntime-web')` (in browsers the bundle with wasm and
   * webgpu; in Node its wasm build). Pass another build, e.g. `await import('onnxruntime-web/webgpu')`, to choose.
   */
  ort?: OrtModule;
  /** keep run() outputs in GPU buffers on webgpu (default true); read() downloads them */
  keepOutputsOnDevice?: boolean;
  export?: ExportOptions;
  sessionOptions?: OrtSessionOptions;
}

/** The ORT backend on onnxruntime-web: the same exporter and session runner as the Node backend. */
export class OrtWebBackend extends OrtBackend {
  constructor(config: ConstructorParameters<typeof OrtBackend>[0], readonly ep: WebEp) {
    super(config);
  }
}

export async function createOrtWebBackend(options: OrtWebBackendOptions = {}): Promise<OrtWebBackend> {
  const ep = options.ep ?? 'wasm';
  let ort: OrtModule;
  try {
    ort = options.ort ?? (((m: { default?: unknown }) => (m.default ?? m) as unknown as OrtModule)(await import('onnxruntime-web')));
  } catch (err) {
    throw new BackendError(`onnxruntime-web could not be loaded: ${messageOf(err)}`, { cause: err });
  }
  // fatal only: errors reject the call (and are reworded there) instead of printing to the console too
  const sessionOptions: OrtSessionOptions = { logSeverityLevel: 4, ...options.sessionOptions, executionProviders: [ep] };
  try {
    const session = await ort.InferenceSession.create(probeModel(), sessionOptions);
    await session.release();
  } catch (err) {
    throw new BackendError(`onnxruntime-web could not start the ${ep} execution provider: ${messageOf(err)}`, { cause: err });
  }
  const onDevice = ep === 'webgpu' && (options.keepOutputsOnDevice ?? true);
  const version = (ort.env as { versions?: { web?: string } } | undefined)?.versions?.web ?? '1.30';
  return new OrtWebBackend({
    ort,
    info: { name: 'ort-web', device: `onnxruntime-web ${version} ${ep}`, supportsF16: false, weightFormats: ORT_WEIGHT_FORMATS },
    sessionOptions,
    exportOptions: { ropeAngles: ep === 'webgpu' ? 'f32' : 'f64', ...options.export },
    outputLocation: onDevice ? 'gpu-buffer' : 'cpu',
    readback: 'getData',
    exclusiveSessions: true,
  }, ep);
}
