// Test-only helpers (not exported): fixture paths and readers, InputError assertions.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InputError } from '@xlora/core';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PEFT_FIXTURES = `${REPO_ROOT}test-data/peft-xlora`;
export const DEMO_MODEL = `${REPO_ROOT}models/xlora-demo`;

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function fixtureCases(): string[] {
  return readdirSync(`${PEFT_FIXTURES}/cases`).sort();
}

export function expectInputError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as Error).message).toBe(message);
}
