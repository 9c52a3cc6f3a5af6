#!/usr/bin/env bash
# Runs the static checks (types, lint, format, dependencies) and every test tier (unit, medium, e2e) against the built server;
# prints `N passed, N failed[, N skipped]` last. Arguments go to vitest (e.g. `npm test -- --project unit`).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-artifacts
summary="$PWD/.test-artifacts/vitest-summary.json"
rm -f "$summary"

npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }

# Static checks count as one test each, so a type error in a test file, a lint error, an unformatted file or a dependency cycle fails the run too.
static_passed=0
static_failed=0
for check in check-types lint format:check deps:check; do
  if npm run --silent "$check"; then static_passed=$((static_passed + 1)); else static_failed=$((static_failed + 1)); echo "npm run $check failed"; fi
done

# Tiers run one after another (vitest.config.ts orders them), so the suites that measure latencies and
# outages do not share the two cores with the rest. The summary reporter counts failed tests, files that
# failed to load or whose hooks threw, and unhandled errors (test/env/summary-reporter.ts).
WAVE_TEST_SUMMARY="$summary" npx vitest run --reporter=default --reporter=./test/env/summary-reporter.ts "$@"
code=$?
[ "$static_failed" -eq 0 ] || code=1

if [ -f "$summary" ]; then
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const [staticPassed, staticFailed, code] = process.argv.slice(2).map(Number);
    // vitest failed without a failure it could count (a global setup that threw): still a failure.
    const runnerFailed = code !== 0 && s.failed === 0 && staticFailed === 0 ? 1 : 0;
    const line = `${s.passed + staticPassed} passed, ${s.failed + staticFailed + runnerFailed} failed` + (s.skipped ? `, ${s.skipped} skipped` : "");
    console.log(line);
  ' "$summary" "$static_passed" "$static_failed" "$code"
else
  echo "$static_passed passed, $((static_failed + 1)) failed"
  [ $code -ne 0 ] || code=1
fi
exit $code
