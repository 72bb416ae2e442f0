export { createWebGpuBackend, WebGpuBackend, type WebGpuBackendOptions, type WebGpuStats } from './webgpu-backend.js';
export { WebGpuTensor } from './tensor.js';
export { cpuAdapterFlags, flags, type Tunables, type TuningProfile, type WebGpuFlags } from './flags.js';
export { ensureNodeWebGpuEnv, SWIFTSHADER_ICD, LAVAPIPE_ICD, type NodeEnvReport } from './node-env.js';
export type { AcquireOptions } from './gpu-context.js';
