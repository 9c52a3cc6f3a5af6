import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Three tiers, as in immich: unit specs beside the code (fake wrappers), medium specs running one
// real wrapper against the real outside system, e2e suites against the whole built server, and then
// chaos suites putting that server under faults. They run one tier after another (groupOrder; projects
// run side by side otherwise), so the suites that measure latencies and outages on two cores do not
// share them with the rest.
const TIER_ORDER = { unit: 0, medium: 1, e2e: 2, chaos: 3 } as const;

/** A tier on the real outside systems (engine, image, tools from test/env/global-setup.ts), one file at a time. */
function realSystemsTier(name: 'medium' | 'e2e' | 'chaos', include: string, testTimeout = 120_000): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name,
      sequence: { groupOrder: TIER_ORDER[name] },
      include: [include],
      globalSetup: ['test/env/run-temp-dir.ts', 'test/env/global-setup.ts'],
      testTimeout,
      hookTimeout: 180_000,
      fileParallelism: false,
    },
  };
}

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
      realSystemsTier('medium', 'test/medium/**/*.spec.ts'),
      realSystemsTier('e2e', 'test/e2e/**/*.e2e-spec.ts'),
      // The built server under faults and abuse: full disks, killed processes, hung engines, fuzzed and
      // hostile input. Last: these suites stall and kill what the others need.
      realSystemsTier('chaos', 'test/chaos/**/*.chaos-spec.ts', 180_000),
    ],
  },
});
