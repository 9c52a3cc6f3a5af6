import { writeFileSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a run for the closing `N passed, N failed` line (scripts/test.sh prints it): every failed test,
 * plus each file that failed outside its tests (did not load, a hook threw) and each unhandled error
 * or rejection — those fail the run but are no test's failure, so a test count alone would hide them.
 * Writes the counts as JSON to WAVE_TEST_SUMMARY.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const summary = summarize(testModules, unhandledErrors.length);
    const file = process.env.WAVE_TEST_SUMMARY;
    if (file) writeFileSync(file, JSON.stringify(summary));
  }
}

export function summarize(testModules: ReadonlyArray<TestModule>, unhandledErrors: number): RunSummary {
  const summary: RunSummary = { passed: 0, failed: unhandledErrors, skipped: 0 };
  for (const module of testModules) {
    let failedTests = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') summary.passed++;
      else if (state === 'failed') failedTests++;
      else summary.skipped++;
    }
    summary.failed += failedTests;
    if (failedTests === 0 && (module.errors().length > 0 || module.state() === 'failed')) summary.failed++;
  }
  return summary;
}
