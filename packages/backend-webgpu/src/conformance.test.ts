import { concurrencySuite, generateSuite, inputValidationSuite, opSuite, weightFormatSuite, xloraForwardSuite } from '@xlora/testkit';
import { describe, expect, it } from 'vitest';
import { f32, GraphBuilder, i32 } from '@xlora/core';
import { flags } from './flags.js';
import { adapterOf, inCI, probeWebGpu } from './testing/probe.js';
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
  it.skipIf(!!probe.skipReason)(`found: ${probe.label}`, async () => {
    // the adapter the suites below run on answers a real dispatch (a 1-row Gather), not just requestAdapter()
    const backend = await createWebGpuBackend();
    try {
      expect(backend.info.name).toBe('webgpu');
      expect(probe.label).toContain(adapterOf(backend.info.device));
      const g = new GraphBuilder('probe-gather');
      g.output('y', g.gather(g.weight('table', [2, 2]), g.input('ids', 'i32', [1]), 'y'));
      const exe = await backend.compile(g.build(), new Map([['table', f32([2, 2], [1, 2, 3, 4])]]));
      const out = await backend.run(exe, { ids: i32([1], [1]) }, { outputs: ['y'] });
      expect(Array.from((await backend.read(out.y)).data)).toEqual([3, 4]);
    } finally {
      backend.dispose();
    }
  });
});

opSuite(target);
// the kernels real GPUs get (gemv with workgroup reductions, tiled GEMM), checked here on the same adapter
opSuite({ ...target, label: `${probe.label}, gpu-profile kernels`, createBackend: () => createWebGpuBackend({ profile: 'gpu' }) });
xloraForwardSuite(target);
generateSuite(target);
inputValidationSuite(target);
concurrencySuite(target);
// f16/bf16/q8_0/q4_0/q4_k read in place by the weight loaders, q6_k dequantized at compile
weightFormatSuite(target);
