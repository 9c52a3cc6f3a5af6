#!/usr/bin/env bash
# Runs the static checks (types, lint) and every test tier (unit, medium, e2e) against the built server;
# prints `N passed, N failed[, N skipped]` last. Arguments go to vitest (e.g. `npm test -- --project unit`).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-artifacts
results=.test-artifacts/vitest-results.json
rm -f "$results"

npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }

# Static checks count as one test each, so a type error in a test file or a lint error fails the run too.
static_passed=0
static_failed=0
for check in check-types lint; do
  if npm run --silent "$check"; then static_passed=$((static_passed + 1)); else static_failed=$((static_failed + 1)); echo "npm run $check failed"; fi
done

npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
code=$?
[ "$static_failed" -eq 0 ] || code=1

if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A suite that fails to load counts as a failure even though none of its tests ran.
    const brokenSuites = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    const skipped = r.numPendingTests + r.numTodoTests;
    const [staticPassed, staticFailed] = process.argv.slice(2).map(Number);
    const line = `${r.numPassedTests + staticPassed} passed, ${r.numFailedTests + brokenSuites + staticFailed} failed` + (skipped ? `, ${skipped} skipped` : "");
    console.log(line);
  ' "$results" "$static_passed" "$static_failed"
else
  echo "0 passed, 1 failed"
  [ $code -ne 0 ] || code=1
fi
exit $code
