import { f32 } from '@xlora/core';
import { moeCase } from '@xlora/testkit';
import { describe, expect, it } from 'vitest';
import { checkOpCase } from '../../testkit/src/op-check.js';
import { flags } from './flags.js';
import { probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend } from './webgpu-backend.js';

flags.validateRuns = true;
const probe = await probeWebGpu();

describe.skipIf(!!probe.skipReason)(`MoeMlp routing on webgpu (${probe.label})`, () => {
  it('ties in the router pick the lower expert index, as backend-cpu does', async () => {
    // 4 tokens, 4 experts, top-2: every row has a three-way (or four-way) tie for the largest probability
    const c = moeCase('router ties', 1, 4, 8, 6, 4, 2, 31);
    c.feeds.router = f32([1, 4, 4], [1, 1, 1, 0, 0, 2, 2, 2, 3, 3, 3, 3, -1, 0.5, 0.5, 0.5]);
    const b = await createWebGpuBackend();
    try {
      expect(await checkOpCase(b, c)).toEqual([]);
    } finally {
      b.dispose();
    }
  });
});
