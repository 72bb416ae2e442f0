/**
 * Tunables of the WebGPU backend, in one place. Change them before creating a backend (kernels are generated
 * and cached from these values when first used). Every workgroup size must stay <= 256 invocations (WebGPU's
 * default maxComputeInvocationsPerWorkgroup).
 */
export const flags = {
  /** invocations per workgroup of the flat elementwise / copy / gather / rope / kv-cache kernels */
  elementwiseWorkgroupSize: 256,
  /** invocations per workgroup of the per-row reductions (RmsNorm, Softmax) */
  reduceWorkgroupSize: 64,

  /** MatMul rows (tokens) up to which the GEMV kernel is used (decode); above it, the tiled GEMM */
  gemvMaxRows: 4,
  /** GEMV: output columns per workgroup, and threads that split K for each column (product <= 256) */
  gemvColumns: 8,
  gemvThreadsPerColumn: 32,
  /** with gemvThreadsPerColumn = 1 (no reduction, for CPU-emulated adapters): columns each thread computes */
  gemvColumnsPerThread: 4,

  /** tiled GEMM for small M (gemvMaxRows < M <= tiledSmallMaxRows): workgroup WGX x WGY, each thread TM x TN outputs */
  tiledSmall: { wgX: 16, wgY: 8, tm: 2, tn: 4, tk: 16 },
  tiledSmallMaxRows: 32,
  /** tiled GEMM for large M: tile (wgY*tm) x (wgX*tn), K step tk */
  tiledLarge: { wgX: 16, wgY: 16, tm: 4, tn: 4, tk: 16 },

  /** attention: invocations per workgroup (one workgroup per query row and head); also keys per chunk */
  attentionWorkgroupSize: 64,

  /** KV caches returned by Attention keep spare capacity so decode steps append in place */
  kvCacheGrowth: 1.5,
  kvCacheMinHeadroom: 64,
  kvCacheAlign: 16,

  /** compiled run plans (intermediate buffers, uniforms, bind groups) kept per executable, by shapes */
  planCacheSize: 4,
  /** free buffers kept for reuse (bytes) before released buffers are destroyed */
  poolMaxBytes: 512 * 1024 * 1024,

  /** wrap every run in a validation error scope and reject on errors (slower; tests turn it on) */
  validateRuns: false,
};

export type WebGpuFlags = typeof flags;
