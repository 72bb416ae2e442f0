import { describe, expect, it } from 'vitest';
import type { TrainingBackend } from '@xlora/core';
import { checkGradCase } from './grad-check.js';
import { gradCases } from './grad-cases.js';

export interface GradSuiteTarget {
  label: string;
  createBackend: () => Promise<TrainingBackend>;
  skipReason?: string | null;
}

/** Finite-difference gradient checks of every op of the op suite (and the training-only ops) on one backend. */
export function gradCheckSuite(target: GradSuiteTarget): void {
  describe.skipIf(!!target.skipReason)(`gradient checks: ${target.label}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    for (const c of gradCases()) {
      it(c.name, async () => {
        const backend = await target.createBackend();
        try {
          expect(await checkGradCase(backend, c)).toEqual([]);
        } finally {
          backend.dispose();
        }
      }, 60_000);
    }
  });
}
