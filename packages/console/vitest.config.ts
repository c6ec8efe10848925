import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The browser tests start servers on free ports; one file at a time keeps the 2 cores usable.
    fileParallelism: false,
  },
});
