import { defineConfig } from 'vitest/config';

// Benchmarks run through Vitest only to get TypeScript (with decorator metadata) and the test env helpers;
// each file measures, prints a table and checks nothing but that the run completed.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    silent: false,
  },
});
