import { createWebGpuBackend, type WebGpuBackendOptions } from '../webgpu-backend.js';

export interface Probe {
  /** label for suite titles: "webgpu (Dawn/google / swiftshader / ...)" */
  label: string;
  /** null when an adapter was found; else why not */
  skipReason: string | null;
  /** whether the adapter has shader-f16 */
  f16: boolean;
}

/** The adapter part of a backend's device description, without the kernel-profile suffix. */
export const adapterOf = (device: string) => device.replace(/ \((cpu|gpu) kernels[^)]*\)$/, '');

/** Tries to start the backend once; tests skip with the reason when it cannot (and fail in CI, where it must). */
export async function probeWebGpu(options: WebGpuBackendOptions = {}): Promise<Probe> {
  try {
    const b = await createWebGpuBackend({ ...options, preferF16: true });
    const probe = { label: `webgpu (Dawn/${adapterOf(b.info.device)})`, skipReason: null, f16: b.info.supportsF16 };
    b.dispose();
    return probe;
  } catch (err) {
    return { label: 'webgpu (Dawn)', skipReason: err instanceof Error ? err.message : String(err), f16: false };
  }
}

export const inCI = () => {
  const ci = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.CI;
  return !!ci && ci !== 'false' && ci !== '0';
};
