/** Tunables of the benchmark harness, in one place. */

/**
 * ORT intra-op threads unless --threads says otherwise: on this 2-core machine (shared with other jobs) one
 * thread decoded as fast as two or faster in the 1-vs-2 run recorded in benchmarks/README.md; llama.cpp too.
 */
export const DEFAULT_ORT_THREADS = 1;

/** Presets above this many parameters skip webgpu: SwiftShader (the only adapter here) runs ~0.2 GFLOP/s. */
export const WEBGPU_MAX_PARAMETERS = 40e6;

/** The runtime's own memory the memory target allows for (issue 10: "+ 150 MB runtime"). */
export const RUNTIME_ALLOWANCE_MB = 150;
