import type { Backend } from '@xlora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpCase } from './op-check.js';
import { opCases } from './op-cases.js';
import type { Tolerance } from './tolerance.js';

export interface SuiteTarget {
  /** label shown in test names, e.g. "webgpu (SwiftShader)" */
  label: string;
  createBackend: () => Promise<Backend>;
  /** when set, the suite is reported as skipped with this reason */
  skipReason?: string | null;
  tolerance?: Tolerance;
}

/** Every op in the catalog against backend-cpu. */
export function opSuite(target: SuiteTarget): void {
  describe.skipIf(!!target.skipReason)(`op conformance: ${target.label}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await target.createBackend();
    }, 120_000);
    afterAll(() => backend?.dispose());
    for (const c of opCases()) {
      it(c.name, async () => {
        expect(await checkOpCase(backend, c, target.tolerance)).toEqual([]);
      }, 60_000);
    }
  });
}
