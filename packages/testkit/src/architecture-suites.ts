import type { Backend } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, type XLoraModel } from '@xlora/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixtureSet, type FixtureSetManifest } from './fixtures/architecture-sets.js';
import { checkBaseAndExperts, checkXLoraForward } from './fixtures/forward-checks.js';
import { checkBaseAndExpertGenerate, checkCachedEqualsRecompute, checkXLoraGenerate } from './fixtures/generate-checks.js';
import { readTensorFile, type TensorFile } from './fixtures/peft-fixture.js';
import type { SuiteTarget } from './op-suite.js';
import { FIXTURE_TOLERANCE } from './tolerance.js';

const title = (what: string, t: SuiteTarget) => `${what}: ${t.label}${t.skipReason ? ` (skipped: ${t.skipReason})` : ''}`;

/**
 * One architecture's PEFT fixture set (test-data/peft-xlora-<set>) on a backend, case by case: the forward
 * (unpadded and left-padded: logits, scalings, effective scalings, classifier input), the X-LoRA layer order
 * against PEFT's, base model and plain experts, KV-cached greedy generation against PEFT's uncached goldens (gen and
 * the padded gen_batch: tokens, step logits, the scalings log and its buckets), and cache = recompute. `cases`
 * lists the case names when they are known before the manifest is read (vitest needs test names up front).
 */
export function architectureSuite(set: string, cases: readonly string[], target: SuiteTarget): void {
  describe.skipIf(!!target.skipReason)(title(`PEFT ${set} set`, target), () => {
    let backend: Backend;
    let manifest: FixtureSetManifest;
    let common: TensorFile;
    beforeAll(async () => {
      backend = await target.createBackend();
      manifest = await readFixtureSet(set);
      common = await readTensorFile(nodeFileSource(manifest.root), 'common.safetensors');
    }, 120_000);
    afterAll(() => backend?.dispose());
    const tol = target.tolerance;

    const withCase = async (name: string, check: (model: XLoraModel, expected: TensorFile) => Promise<string[]>) => {
      const source = nodeFileSource(manifest.root);
      const model = await loadXLoraModel({ source, baseDir: 'base', xloraDir: `cases/${name}/xlora`, adapterRoot: '', backend });
      try {
        const expected = await readTensorFile(source, `cases/${name}/expected.safetensors`);
        expect(await check(model, expected)).toEqual([]);
      } finally {
        model.dispose();
      }
    };

    it('lists the expected cases', () => expect(manifest.cases).toEqual([...cases]));
    for (const name of cases) {
      it(`${name}: X-LoRA layer order is PEFT's`, () => withCase(name, async (model) => {
        const got = model.wrappedModules.map((m) => m.modulePath);
        const want = manifest.caseInfo[name].layerModules;
        return got.join() === want.join() ? [] : [`layer order [${got}] != PEFT's [${want}]`];
      }), 120_000);
      it(`${name}: forward, unpadded and padded`, () => withCase(name, (model, expected) => checkXLoraForward(model, common, expected, tol)), 300_000);
      it(`${name}: cached generation vs PEFT's uncached goldens (gen, padded gen_batch, scalings log)`, () =>
        withCase(name, (model, expected) => checkXLoraGenerate(model, common, expected, tol, manifest.caseInfo[name].bucketed)), 300_000);
    }
    it('base model and each expert as plain LoRA: forward and generation', () => withCase(cases[0], async (model) => [
      ...await checkBaseAndExperts(model, common, tol, manifest.experts),
      ...await checkBaseAndExpertGenerate(model, common, tol, manifest.experts),
    ]), 300_000);
    it('dual-cache generation equals a full recompute (batch of 2, past the prompt)', () => withCase(cases[cases.length - 1], (model) =>
      checkCachedEqualsRecompute(model, common.get('inputs.unpadded.input_ids'), 6, tol ?? FIXTURE_TOLERANCE)), 300_000);
  });
}

/** The public architecture sets and their cases (test-data/peft-xlora-<set>/manifest.json). */
export const ARCHITECTURE_SET_CASES: Readonly<Record<string, readonly string[]>> = {
  llama3rope: ['la_top1_temp0.7', 'lb_depth2_layerwise'],
  gemma: ['ga_top2', 'gb_depth2_layerwise'],
  gemma2: ['g2a_default', 'g2b_depth2_layerwise_temp0.6'],
  phi3: ['pa_top2_softmax_topk', 'pb_depth2_layerwise'],
  mixtral: ['ma_top2', 'mb_depth2_layerwise'],
};

/** Every public architecture set (architectureSuite for each). */
export function architectureSuites(target: SuiteTarget, sets: readonly string[] = Object.keys(ARCHITECTURE_SET_CASES)): void {
  for (const set of sets) architectureSuite(set, ARCHITECTURE_SET_CASES[set], target);
}
