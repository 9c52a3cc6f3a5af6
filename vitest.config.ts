import { defineConfig } from 'vitest/config';

// Three tiers, as in immich: unit specs beside the code (fake wrappers), medium specs running one
// real wrapper against the real outside system, e2e suites against the whole built server. They run
// one tier after another (groupOrder; projects run side by side otherwise), so the suites that measure
// latencies and outages on two cores do not share them with the rest.
const TIER_ORDER = { unit: 0, medium: 1, e2e: 2, chaos: 3 } as const;

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts'],
          environment: 'node',
          globalSetup: ['test/env/run-temp-dir.ts'],
          sequence: { groupOrder: TIER_ORDER.unit },
        },
      },
      {
        extends: true,
        test: {
          name: 'medium',
          sequence: { groupOrder: TIER_ORDER.medium },
          include: ['test/medium/**/*.spec.ts'],
          globalSetup: ['test/env/run-temp-dir.ts', 'test/env/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: TIER_ORDER.e2e },
          include: ['test/e2e/**/*.e2e-spec.ts'],
          globalSetup: ['test/env/run-temp-dir.ts', 'test/env/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The built server under faults and abuse: full disks, killed processes, hung engines, fuzzed and
        // hostile input. Last, alone: these suites stall and kill what the others need.
        extends: true,
        test: {
          name: 'chaos',
          sequence: { groupOrder: TIER_ORDER.chaos },
          include: ['test/chaos/**/*.chaos-spec.ts'],
          globalSetup: ['test/env/run-temp-dir.ts', 'test/env/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
