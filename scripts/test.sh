#!/usr/bin/env bash
# Runs every test tier (unit, medium, e2e) against the built server and prints `N passed, N failed[, N skipped]` last.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-artifacts
results=.test-artifacts/vitest-results.json
rm -f "$results"

npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
code=$?

if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A suite that fails to load counts as a failure even though none of its tests ran.
    const brokenSuites = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    const skipped = r.numPendingTests + r.numTodoTests;
    const line = `${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed` + (skipped ? `, ${skipped} skipped` : "");
    console.log(line);
  ' "$results"
else
  echo "0 passed, 1 failed"
  [ $code -ne 0 ] || code=1
fi
exit $code
