import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // one GPU: do not run test files concurrently on a 2-core machine
    fileParallelism: false,
  },
});
