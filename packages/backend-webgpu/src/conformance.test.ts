import { generateSuite, opSuite, xloraForwardSuite } from '@xlora/testkit';
import { describe, it } from 'vitest';
import { flags } from './flags.js';
import { inCI, probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend } from './webgpu-backend.js';

// every run inside a validation error scope: WebGPU misuse fails the test instead of giving silent zeros
flags.validateRuns = true;

const probe = await probeWebGpu();
const target = { label: probe.label, createBackend: () => createWebGpuBackend(), skipReason: probe.skipReason };

describe('webgpu adapter', () => {
  // In CI the SwiftShader adapter exists (.ci/setup-webgpu.sh): a missing adapter there is a failure, not a skip.
  it.runIf(inCI())('is available in CI', () => {
    if (probe.skipReason) throw new Error(`CI=true but no WebGPU adapter: ${probe.skipReason}`);
  });
  it.skipIf(!!probe.skipReason)(`found: ${probe.label}`, () => {});
});

opSuite(target);
// the kernels real GPUs get (gemv with workgroup reductions, tiled GEMM), checked here on the same adapter
opSuite({ ...target, label: `${probe.label}, gpu-profile kernels`, createBackend: () => createWebGpuBackend({ profile: 'gpu' }) });
xloraForwardSuite(target);
generateSuite(target);
