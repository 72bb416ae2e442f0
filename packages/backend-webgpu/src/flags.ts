/**
 * Tunables of the WebGPU backend. `flags` holds the defaults for real GPUs; `cpuAdapterFlags` overrides them on
 * CPU-emulated adapters (SwiftShader, lavapipe/llvmpipe), where workgroup barriers are expensive and barrier-free
 * kernels win (measured: bench/ops-bench.ts). A backend copies the tunables when it starts (option `profile`), so
 * change `flags` before creating one. Workgroup sizes stay <= 256 (WebGPU's default invocation limit).
 */
export interface Tunables {
  /** invocations per workgroup of the flat elementwise / copy / gather / rope / kv-cache kernels */
  elementwiseWorkgroupSize: number;
  /** invocations per workgroup of the per-row reductions (RmsNorm, Softmax); a power of two */
  reduceWorkgroupSize: number;

  /** MatMul rows (tokens) up to which the decode path is used (gemv, or direct with tm = M) */
  gemvMaxRows: number;
  /** gemv: output columns per workgroup, and threads that split K for each column (product <= 256, power of two) */
  gemvColumns: number;
  gemvThreadsPerColumn: number;

  /** tiled GEMM for small M (gemvMaxRows < M <= tiledSmallMaxRows): workgroup wgX x wgY, each thread tm x tn outputs */
  tiledSmall: { wgX: number; wgY: number; tm: number; tn: number; tk: number };
  tiledSmallMaxRows: number;
  /** tiled GEMM for large M: tile (wgY*tm) x (wgX*tn), K step tk */
  tiledLarge: { wgX: number; wgY: number; tm: number; tn: number; tk: number };
  /**
   * Barrier-free matmul instead of gemv / tiled: each thread a tm x tn block, no workgroup memory (CPU-emulated
   * adapters). gemvTn: columns per thread when M <= gemvMaxRows (then tm = M).
   */
  matmulDirect: null | { wg: number; tm: number; tn: number; gemvTn: number };

  /** attention: invocations per workgroup (one workgroup per query row and head), also keys per chunk; power of two */
  attentionWorkgroupSize: number;

  /** KV caches returned by Attention keep spare capacity so decode steps append in place */
  kvCacheGrowth: number;
  kvCacheMinHeadroom: number;
  kvCacheAlign: number;

  /** compiled run plans (intermediate buffers, uniforms, bind groups) kept per executable, by shapes */
  planCacheSize: number;
  /** free buffers kept for reuse (bytes) before released buffers are destroyed */
  poolMaxBytes: number;

  /** wrap every run in a validation error scope and reject on errors (slower; tests turn it on) */
  validateRuns: boolean;
}

export const flags: Tunables = {
  elementwiseWorkgroupSize: 256,
  reduceWorkgroupSize: 64,
  gemvMaxRows: 4,
  gemvColumns: 8,
  gemvThreadsPerColumn: 32,
  tiledSmall: { wgX: 16, wgY: 8, tm: 2, tn: 4, tk: 16 },
  tiledSmallMaxRows: 32,
  tiledLarge: { wgX: 16, wgY: 16, tm: 4, tn: 4, tk: 16 },
  matmulDirect: null,
  attentionWorkgroupSize: 64,
  kvCacheGrowth: 1.5,
  kvCacheMinHeadroom: 64,
  kvCacheAlign: 16,
  planCacheSize: 4,
  poolMaxBytes: 512 * 1024 * 1024,
  validateRuns: false,
};

/** Overrides for CPU-emulated adapters. */
export const cpuAdapterFlags: Partial<Tunables> = {
  matmulDirect: { wg: 64, tm: 4, tn: 4, gemvTn: 4 },
  reduceWorkgroupSize: 16,
  attentionWorkgroupSize: 16,
  elementwiseWorkgroupSize: 64,
};

export type WebGpuFlags = Tunables;

/** 'auto': cpu profile on SwiftShader / lavapipe / llvmpipe / WARP-like adapters, gpu otherwise. */
export type TuningProfile = 'auto' | 'gpu' | 'cpu';

export function isCpuAdapter(info: { vendor?: string; architecture?: string; description?: string; device?: string } | undefined): boolean {
  if (!info) return false;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''} ${info.device ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|warp|cpu/.test(text);
}

export function tunablesFor(profile: TuningProfile, cpuAdapter: boolean): Tunables {
  const cpu = profile === 'cpu' || (profile === 'auto' && cpuAdapter);
  return JSON.parse(JSON.stringify({ ...flags, ...(cpu ? cpuAdapterFlags : {}) })) as Tunables;
}
