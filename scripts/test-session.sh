#!/usr/bin/env bash
# The test run proper, inside session.sh (see test.sh).
set -euo pipefail
export WARD_TEST_ALL=1   # integration tests fail, not skip, when a real part is missing
. scripts/lib.sh
log=$(mktemp)
trap 'rm -f "$log"; stop_postgres' EXIT
start_postgres           # exports WARD_TEST_POSTGRES: the server's tests run on both engines

go vet ./...
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || { echo "not gofmt-formatted: $unformatted"; exit 1; }
status=0
go test -count=1 -v "$@" ./... >"$log" 2>&1 || status=$?
grep -E '^(ok|FAIL|\?) ' "$log" || true
passed=$(grep -cE '^ *--- PASS' "$log" || true)
failed=$(grep -cE '^ *--- FAIL' "$log" || true)
if [ "$status" -ne 0 ]; then
  echo "---- go test output (last 300 lines) ----"
  tail -n 300 "$log"
  # A failure early in a long log would be cut above: each one, with what it said.
  echo "---- every failure, with the lines before it ----"
  grep -nE -B 30 '^ *--- FAIL|^FAIL|^panic:' "$log" | tail -n 400 || true
  # Last, where a shortened copy of this output still shows it: which tests failed.
  echo "---- failed ----"
  grep -E '^ *--- FAIL|^FAIL|^panic:' "$log" || true
  echo "tests: $passed passed, $failed failed"
  exit "$status"
fi
# Every benchmark once, so that they keep working; scripts/bench.sh measures. Then
# short fuzz runs of the parsers of untrusted input, beyond their seed corpora.
# Their output is kept and shown only if a step fails.
step() {
  if ! "$@" >"$log" 2>&1; then
    echo "---- failed: $* (last 100 lines) ----"
    tail -n 100 "$log"
    exit 1
  fi
}
step go test -count=1 -run '^$' -bench . -benchtime 1x ./...
for target in FuzzParseURI FuzzParseMigration FuzzDecodePayload FuzzDecodeFile; do
  step go test -run '^$' -fuzz "^$target\$" -fuzztime 10s ./vault
done
step go test -run '^$' -fuzz '^FuzzImport$' -fuzztime 15s ./vault/interop
echo "tests: $passed passed, $failed failed"
