/** Everything that runs without vitest or Node APIs (for browser tests): op cases and fixture checks. */
export * from './random.js';
export * from './tolerance.js';
export * from './op-cases.js';
export * from './op-check.js';
export * from './fixtures/peft-fixture.js';
export * from './fixtures/forward-checks.js';
export * from './fixtures/generate-checks.js';
export * from './fixtures/demo-checks.js';
