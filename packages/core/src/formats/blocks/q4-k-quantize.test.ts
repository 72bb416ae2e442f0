import { describe, expect, it } from 'vitest';
import { quantizeQ4_K } from './q4-k-quantize.js';

/**
 * The q4_k quantizer was rewritten for speed (the scale search's trial steps run side by side, no allocations);
 * its output must stay byte for byte what the first, straight transcription of ggml's quantize_row_q4_K_ref wrote
 * (the one checked against ggml's test-quantize-fns bound in ../k-quants.test.ts). The digests below are that
 * version's output (FNV-1a 32 over the bytes) on these inputs, recorded before the rewrite.
 */

/** Deterministic rows mixing the shapes a weight matrix has: Gaussian-ish, offsets, one sign, zeros, outliers, tiny. */
function testRows(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = u() + u() + u() + u() - 2;
    switch ((i >> 8) % 8) {
      case 0: x[i] = g * 0.02; break;
      case 1: x[i] = g * (1 + (i & 31)); break; // sub-blocks of different spread
      case 2: x[i] = 3 + g; break;
      case 3: x[i] = -2 - Math.abs(g); break;
      case 4: x[i] = (i & 63) < 32 ? 0 : g; break;
      case 5: x[i] = (i % 11 === 0 ? 50 : 1) * g; break;
      case 6: x[i] = g * 1e-6; break;
      default: x[i] = Math.round(g * 4) / 4; // ties in the level search
    }
  }
  return x;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

const DIGESTS: Record<number, number> = { 1: 0x33746803, 2: 0x8203ad3b, 3: 0x146d46e2, 4: 0x5a7b4abf, 5: 0xab894276 };

describe('q4_k quantizer: byte-identical to the first transcription', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 32 super-blocks`, () => {
      const x = testRows(32 * 256, seed);
      const out = new Uint8Array(32 * 144);
      quantizeQ4_K(x, out);
      expect(fnv1a(out).toString(16)).toBe(DIGESTS[seed].toString(16));
    });
  }
});
