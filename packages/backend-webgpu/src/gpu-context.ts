import { BackendError } from '@xlora/core';
import { ensureNodeWebGpuEnv } from './node-env.js';

export interface AcquireOptions {
  device?: GPUDevice;
  adapter?: GPUAdapter;
  /**
   * The GPU entry point to use instead of `navigator.gpu` (browsers) or the `webgpu` package (Node).
   * `null` acts as a runtime without WebGPU (tests use it for the missing-adapter path).
   */
  gpu?: GPU | null;
  powerPreference?: GPUPowerPreference;
  preferF16?: boolean;
}

export interface Acquired {
  device: GPUDevice;
  adapter: GPUAdapter | null;
  /** keeps the Node GPU instance alive as long as the backend */
  gpu: GPU | null;
  ownsDevice: boolean;
  f16: boolean;
  description: string;
  info?: GPUAdapterInfo;
}

const isNode = () => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

async function nodeGpu(tried: string[]): Promise<GPU | null> {
  const env = await ensureNodeWebGpuEnv();
  const name = 'webgpu'; // not a literal import: browser bundles must not pull in Dawn
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (err) {
    tried.push(`Node: the 'webgpu' package (Dawn) could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  tried.push(`Node: Dawn via the 'webgpu' package with VK_ICD_FILENAMES=${env.icd ?? '(unset)'} (${env.source})`);
  return mod.create([]);
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'WebGPU device';
  const parts = [info.vendor, info.architecture, info.description].filter((s) => !!s);
  const unique = parts.filter((s, i) => parts.indexOf(s) === i);
  return unique.join(' / ') || 'WebGPU adapter (no info)';
}

/** Finds an adapter and a device with the adapter's full buffer and binding limits. */
export async function acquireDevice(options: AcquireOptions): Promise<Acquired> {
  if (options.device) {
    const device = options.device;
    const info = options.adapter?.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return {
      device, adapter: options.adapter ?? null, gpu: null, ownsDevice: false,
      f16: device.features.has('shader-f16') && !!options.preferF16, description: describeAdapter(info), info,
    };
  }
  const tried: string[] = [];
  let adapter = options.adapter ?? null;
  let gpu: GPU | null = null;
  if (!adapter) {
    if (options.gpu !== undefined) {
      gpu = options.gpu;
      tried.push(gpu ? 'the GPU object passed in options.gpu' : 'options.gpu = null (no WebGPU entry point)');
    } else {
      const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
      if (nav?.gpu) {
        gpu = nav.gpu;
        tried.push('navigator.gpu');
      } else if (isNode()) {
        gpu = await nodeGpu(tried);
      } else {
        tried.push('navigator.gpu is missing (this browser has no WebGPU, or the page is not a secure context)');
      }
    }
    if (gpu) {
      try {
        adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
        if (!adapter) tried.push('requestAdapter() returned null (no usable GPU or driver; in Node install a Vulkan driver: .ci/setup-webgpu.sh)');
      } catch (err) {
        tried.push(`requestAdapter() threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (!adapter) throw new BackendError(`WebGPU is not available: tried ${tried.join('; ')}`);

  const want = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension'] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k];
  const f16 = !!options.preferF16 && adapter.features.has('shader-f16');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures: f16 ? ['shader-f16'] : [] });
  } catch (err) {
    throw new BackendError(`WebGPU is not available: requestDevice() failed on ${describeAdapter(adapter.info)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { device, adapter, gpu, ownsDevice: true, f16, description: describeAdapter(adapter.info), info: adapter.info };
}
