import {
  dequantize, GraphBuilder, i32, isPacked, quantize,
  type Backend, type HostTensor, type PackedFormat, type WeightMap, type WeightTensor,
} from '@xlora/core';
import { loadXLoraModel, mapFileSource, XLoraModel, type XLoraModelParts } from '@xlora/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomXLoraFiles } from './fixtures/random-xlora-files.js';
import type { SuiteTarget } from './op-suite.js';
import { randomF32, randomInts, rng } from './random.js';
import { assertClose, compareClose, type Tolerance } from './tolerance.js';

/** The storage formats every backend must run a model in. */
export const SUITE_FORMATS: readonly PackedFormat[] = ['f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q6_k'];

/** Packed vs dequantized-f32 weights is the same math: only f32 summation order may differ (logits are ~1–10). */
export const FORMAT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 0 };

/**
 * Every 2-D base weight (the embedding, the head and each layer's projections) stored as `format`, and the same
 * weights dequantized back to f32; the norm weights stay as they are in both.
 */
export function packBaseWeights(weights: ReadonlyMap<string, WeightTensor>, format: PackedFormat): {
  packed: Map<string, WeightTensor>; dequantized: Map<string, WeightTensor>;
} {
  const packed = new Map<string, WeightTensor>();
  const dequantized = new Map<string, WeightTensor>();
  for (const [name, t] of weights) {
    if (t.shape.length !== 2) {
      packed.set(name, t);
      dequantized.set(name, t);
      continue;
    }
    const q = quantize(dequantize(t), format, name);
    packed.set(name, q);
    dequantized.set(name, dequantize(q));
  }
  return { packed, dequantized };
}

const withBaseWeights = (parts: XLoraModelParts, weights: Map<string, WeightTensor>, backend: Backend) =>
  new XLoraModel({ ...parts, baseWeights: weights as XLoraModelParts['baseWeights'] }, backend);

async function runOne(backend: Backend, graph: ReturnType<GraphBuilder['build']>, weights: WeightMap, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const exe = await backend.compile(graph, weights);
  try {
    return await backend.read((await backend.run(exe, feeds)).y);
  } finally {
    exe.dispose();
  }
}

/**
 * For each storage format: MatMul and Gather with a packed weight equal the same ops with the weight dequantized
 * to f32, and a small random Llama-shaped X-LoRA model (hidden 256, intermediate 512, 2 layers, vocab 256,
 * 2 experts; see fixtures/random-xlora-files.ts) whose 2-D base weights are packed gives the X-LoRA forward
 * logits and greedy tokens (with their step logits) of the same model with those weights dequantized, within
 * 1e-4. Backend-agnostic: every backend runs it against itself.
 */
export function weightFormatSuite(target: SuiteTarget, options: { formats?: readonly PackedFormat[] } = {}): void {
  const formats = options.formats ?? SUITE_FORMATS;
  const tol = target.tolerance ?? FORMAT_TOLERANCE;
  describe.skipIf(!!target.skipReason)(`weight formats: ${target.label}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    let backend: Backend;
    let base: XLoraModel;
    beforeAll(async () => {
      backend = await target.createBackend();
      base = await loadXLoraModel({ source: mapFileSource(randomXLoraFiles()), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend });
    }, 120_000);
    afterAll(() => {
      base?.dispose();
      backend?.dispose();
    });

    for (const format of formats) {
      it(`${format}: MatMul (x [2,3,512] · w [44,512]ᵀ + b) and Gather (table [40,256]) equal the dequantized weight`, async () => {
        const rand = rng(SUITE_FORMATS.indexOf(format) + 101);
        const mg = new GraphBuilder(`matmul-${format}`);
        mg.output('y', mg.matmul(mg.input('x', 'f32', [2, 3, 512]), mg.weight('w', [44, 512]), mg.weight('b', [44]), 'y'));
        const gg = new GraphBuilder(`gather-${format}`);
        gg.output('y', gg.gather(gg.weight('table', [40, 256]), gg.input('ids', 'i32', [2, 3]), 'y'));
        const w = quantize(randomF32(rand, [44, 512], 0.2), format, 'w');
        const b = randomF32(rand, [44], 0.1);
        const table = quantize(randomF32(rand, [40, 256], 1), format, 'table');
        const x = { x: randomF32(rand, [2, 3, 512], 1) };
        const ids = { ids: i32([2, 3], [39, 0, 7, 7, 21, 38]) };
        const got = await runOne(backend, mg.build(), new Map<string, WeightTensor>([['w', w], ['b', b]]), x);
        const want = await runOne(backend, mg.build(), new Map<string, WeightTensor>([['w', dequantize(w)], ['b', b]]), x);
        assertClose(`${format} MatMul`, got, want, tol);
        const rows = await runOne(backend, gg.build(), new Map([['table', table]]), ids);
        const wantRows = await runOne(backend, gg.build(), new Map([['table', dequantize(table)]]), ids);
        assertClose(`${format} Gather`, rows, wantRows, tol);
      }, 60_000);

      it(`${format}: X-LoRA forward and greedy generation equal the model with the weights dequantized`, async () => {
        const { packed, dequantized } = packBaseWeights(base.parts.baseWeights, format);
        expect([...packed.values()].filter((t) => isPacked(t)).length).toBe(2 + 7 * base.parts.baseConfig.numHiddenLayers);
        const model = withBaseWeights(base.parts, packed, backend);
        const reference = withBaseWeights(base.parts, dequantized, backend);
        try {
          const ids = randomInts(rng(5), [2, 5], base.parts.baseConfig.vocabSize);
          const got = (await model.forward(ids)).logits;
          const want = (await reference.forward(ids)).logits;
          let peak = 0;
          for (const v of want.data) peak = Math.max(peak, Math.abs(v));
          expect(peak, 'logits are of magnitude ~1–10').toBeGreaterThan(1);
          expect(peak).toBeLessThan(30);
          assertClose(`${format} X-LoRA logits`, got, want, tol);
          // the packed weights are really in use: the f32 original model differs from its quantized self
          const original = (await base.forward(ids)).logits;
          expect(compareClose('original', original.data, want.data, tol).ok, 'quantization changed the model').toBe(false);

          const gen = { maxNewTokens: 4, eosTokenIds: [], returnStepLogits: true };
          const a = await model.generate(ids, gen);
          const r = await reference.generate(ids, gen);
          expect(a.tokens).toEqual(r.tokens);
          expect(a.stepLogits!.length).toBe(4);
          a.stepLogits!.forEach((t, s) => assertClose(`${format} generate step ${s}`, t, r.stepLogits![s], tol));
        } finally {
          model.dispose();
          reference.dispose();
        }
      }, 300_000);
    }
  });
}
