#!/usr/bin/env bash
# The test run proper, inside session.sh (see test.sh).
set -euo pipefail
export WARD_TEST_ALL=1   # integration tests fail, not skip, when a real part is missing
go vet ./...
go test -count=1 "$@" ./...
# Every benchmark once, so that they keep working; scripts/bench.sh measures.
go test -count=1 -run '^$' -bench . -benchtime 1x ./... >/dev/null
# A short fuzz run of the otpauth parser beyond its seed corpus.
go test -run '^$' -fuzz FuzzParseURI -fuzztime 15s ./vault >/dev/null
echo "all tests passed"
