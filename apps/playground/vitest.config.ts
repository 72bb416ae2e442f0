import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // the browser test builds the site and drives Chromium: allow minutes, not seconds
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
