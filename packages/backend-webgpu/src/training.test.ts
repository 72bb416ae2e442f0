import { dropoutKeeps, dropoutKey, f32, GraphBuilder, GraphEmitter, i32 } from '@xlora/core';
import { gradCheckSuite, trainingFixtureSuite } from '@xlora/testkit';
import { describe, expect, it } from 'vitest';
import { flags } from './flags.js';
import { probeWebGpu } from './testing/probe.js';
import { createWebGpuBackend } from './webgpu-backend.js';

// every run inside a validation error scope: WebGPU misuse fails the test instead of giving silent zeros
flags.validateRuns = true;

const probe = await probeWebGpu();
const createBackend = () => createWebGpuBackend();

// finite differences over every op case of the op suite and the training-only ops (every training op has a kernel)
gradCheckSuite({ label: probe.label, createBackend, skipReason: probe.skipReason });

describe.skipIf(!!probe.skipReason)('webgpu training graphs', () => {
  it('Dropout draws core\'s mask bit for bit (dropout-mask.ts) and scales the kept elements by 1/(1-p)', async () => {
    const n = 4099, p = 0.37, stream = 5, seed = -123456789;
    const g = new GraphBuilder('dropout');
    g.input('x', 'f32', [n]);
    g.input('seed', 'i32', [1]);
    const e = new GraphEmitter(g.build());
    e.output(e.emit1('Dropout', ['x', 'seed'], { p, stream }, 'y'));
    const x = f32([n], Float32Array.from({ length: n }, (_, i) => 1 + (i % 7)));
    const backend = await createBackend();
    try {
      const exe = await backend.compile(e.build(), new Map());
      const y = (await backend.read((await backend.run(exe, { x, seed: i32([1], [seed]) })).y)).data;
      const key = dropoutKey(seed, stream);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const want = dropoutKeeps(key, i, p) ? Math.fround(x.data[i] * Math.fround(1 / (1 - p))) : 0;
        if (want) kept++;
        if (y[i] !== want) expect(`y[${i}] = ${y[i]}`).toBe(`y[${i}] = ${want}`);
      }
      expect(kept / n).toBeGreaterThan(0.55);
      expect(kept / n).toBeLessThan(0.71);
    } finally {
      backend.dispose();
    }
  });

  it('CrossEntropy equals the mean of −log softmax over the counted, shifted positions (f64 on the host)', async () => {
    const [B, S, V] = [2, 4, 5];
    const logits = f32([B, S, V], Float32Array.from({ length: B * S * V }, (_, i) => Math.sin(i * 1.7) * 3));
    const labels = i32([B, S], [7, 1, -100, 4, 0, -100, 2, 3]);
    let total = 0, count = 0;
    for (let b = 0; b < B; b++) for (let t = 1; t < S; t++) {
      const label = labels.data[b * S + t];
      if (label === -100) continue;
      const row = Array.from(logits.data.subarray((b * S + t - 1) * V, (b * S + t) * V));
      const m = Math.max(...row);
      total += Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m - row[label];
      count++;
    }
    const g = new GraphBuilder('ce');
    g.input('logits', 'f32', [B, S, V]);
    g.input('labels', 'i32', [B, S]);
    const e = new GraphEmitter(g.build());
    e.output(e.emit1('CrossEntropy', ['logits', 'labels'], { ignoreIndex: -100, shift: true }, 'loss'));
    const backend = await createBackend();
    try {
      const exe = await backend.compile(e.build(), new Map());
      const loss = (await backend.read((await backend.run(exe, { logits, labels })).loss)).data[0];
      expect(Math.abs(loss - total / count)).toBeLessThan(1e-5);
      // a label outside the vocabulary (not the ignore index) is an InputError naming it
      await expect(backend.run(exe, { logits, labels: i32([B, S], [0, 1, 9, 4, 0, -100, 2, 3]) })).rejects.toThrow(/labels\[0, 2\] = 9/);
    } finally {
      backend.dispose();
    }
  });
});

// PEFT's training fixtures: loss, logits, scalings and gradients, SGD and AdamW trajectories, dropout statistics
trainingFixtureSuite({ label: probe.label, createBackend, skipReason: probe.skipReason });
