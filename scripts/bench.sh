#!/usr/bin/env bash
# Measures what the issues set targets for, on this machine, in one run:
#  - vault open (keyring path) and save with 1,000 accounts, Go benchmarks;
#  - the same open through the real Secret Service, and `ward code QUERY` as a whole
#    process through it;
#  - `ward code` beside oathtool, the reference command-line code generator, with
#    hyperfine, side by side;
#  - the QR decoder beside zbarimg on the same generated corpus (internal/qrbench).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
check_go
need_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
exec dbus-run-session -- bash scripts/session.sh bash scripts/bench-session.sh
