import { architectureSuites } from '@xlora/testkit';
import { flags } from './flags.js';
import { probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend } from './webgpu-backend.js';

/**
 * The PEFT architecture sets (Gemma, Gemma 2, Phi-3, Mixtral, Llama 3 RoPE) through @xlora/model on WebGPU: forward
 * unpadded and padded, cached generation against PEFT's uncached goldens, base and each expert alone.
 */
// every run inside a validation error scope: WebGPU misuse fails the test instead of giving silent zeros
flags.validateRuns = true;

const probe = await probeWebGpu();
architectureSuites({ label: probe.label, createBackend: () => createWebGpuBackend(), skipReason: probe.skipReason });
