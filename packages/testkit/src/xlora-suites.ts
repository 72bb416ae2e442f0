import type { Backend } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, type FileSource, type XLoraModel } from '@xlora/model';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDemoGoldens } from './fixtures/demo-checks.js';
import { fixtureRoots } from './fixtures/fixture-roots.js';
import { checkBaseAndExperts, checkXLoraForward } from './fixtures/forward-checks.js';
import { checkBaseAndExpertGenerate, checkCachedEqualsRecompute, checkXLoraGenerate } from './fixtures/generate-checks.js';
import { loadPeftCase, PEFT_CASES, readTensorFile, type PeftCase, type TensorFile } from './fixtures/peft-fixture.js';
import type { SuiteTarget } from './op-suite.js';
import { FIXTURE_TOLERANCE } from './tolerance.js';

function withBackend(target: SuiteTarget, body: (get: () => Backend) => void): void {
  let backend: Backend;
  beforeAll(async () => {
    backend = await target.createBackend();
  }, 120_000);
  afterAll(() => backend?.dispose());
  body(() => backend);
}

async function manifestCase(name: string): Promise<{ gen_bucketed_scalings_log: Record<string, number[]> }> {
  const manifest = JSON.parse(await readFile(`${fixtureRoots().peft}/manifest.json`, 'utf8')) as { cases: { name: string }[] };
  return manifest.cases.find((c) => c.name === name) as never;
}

const title = (what: string, t: SuiteTarget) => `${what}: ${t.label}${t.skipReason ? ` (skipped: ${t.skipReason})` : ''}`;

export interface FixtureContext {
  backend: () => Backend;
  source: FileSource;
  common: () => TensorFile;
  /** loads a case on the backend, runs `check` on it with the case's expected outputs, disposes it */
  withCase: (name: PeftCase, check: (model: XLoraModel, expected: TensorFile) => Promise<string[]>) => Promise<void>;
}

/** A describe block over the PEFT fixtures on one backend (skipped with the target's reason). */
export function fixtureSuite(what: string, target: SuiteTarget, body: (ctx: FixtureContext) => void): void {
  describe.skipIf(!!target.skipReason)(title(what, target), () => {
    withBackend(target, (backend) => {
      const source = nodeFileSource(fixtureRoots().peft);
      let common: TensorFile;
      beforeAll(async () => {
        common = await readTensorFile(source, 'common.safetensors');
      });
      body({
        backend, source, common: () => common,
        withCase: async (name, check) => {
          const model = await loadPeftCase(source, name, backend());
          const expected = await readTensorFile(source, `cases/${name}/expected.safetensors`);
          expect(await check(model, expected)).toEqual([]);
          model.dispose();
        },
      });
    });
  });
}

/** PEFT fixture forwards (every case, unpadded and padded) plus base and single-expert logits. */
export function xloraForwardSuite(target: SuiteTarget): void {
  fixtureSuite('X-LoRA forward vs PEFT', target, ({ common, withCase }) => {
    for (const name of PEFT_CASES) {
      it(name, () => withCase(name, (model, expected) => checkXLoraForward(model, common(), expected, target.tolerance)), 300_000);
    }
    it('base model and each expert as plain LoRA', () =>
      withCase('a_default', (model) => checkBaseAndExperts(model, common(), target.tolerance)), 300_000);
  });
}

/** Greedy generation with the dual KV cache vs PEFT (tokens, step logits, scalings log), cache vs recompute, demo model. */
export function generateSuite(target: SuiteTarget, options: { demoSteps?: number } = {}): void {
  fixtureSuite('X-LoRA generation vs PEFT', target, ({ backend, common, withCase }) => {
    for (const name of PEFT_CASES) {
      it(`${name}: gen and gen_batch`, async () => {
        const bucketed = (await manifestCase(name)).gen_bucketed_scalings_log;
        await withCase(name, (model, expected) => checkXLoraGenerate(model, common(), expected, target.tolerance, bucketed));
      }, 300_000);
    }
    it('base model and plain experts', () =>
      withCase('a_default', (model) => checkBaseAndExpertGenerate(model, common(), target.tolerance)), 300_000);
    it('dual-cache generation equals a full recompute (case b1, layerwise, batch of 2)', () =>
      withCase('b1_depth2_layerwise', (model) =>
        checkCachedEqualsRecompute(model, common().get('inputs.unpadded.input_ids'), 6, target.tolerance ?? FIXTURE_TOLERANCE)), 300_000);
    it('bundled demo model matches its PEFT goldens', async () => {
      const demo = fixtureRoots().demo;
      const model = await loadXLoraModel({ source: nodeFileSource(demo), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend: backend() });
      const golden = await readTensorFile(nodeFileSource(demo), 'golden.safetensors');
      expect(await checkDemoGoldens(model, golden, target.tolerance, options.demoSteps)).toEqual([]);
      model.dispose();
    }, 600_000);
  });
}
