#!/usr/bin/env bash
# Runs Ward's window on a fresh Debian or Ubuntu machine that has Go and git:
# installs the build packages, builds ./ward, and opens it on a demo vault with a
# few accounts (created once in .run/; the demo passphrase is below, not a secret).
# Pass --vault PATH (or set WARD_VAULT) to open your own vault instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
check_go
need_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}"
go build -o ward .

if [ $# -eq 0 ] && [ -z "${WARD_VAULT:-}" ]; then
  export WARD_VAULT="$PWD/.run/demo.ward" WARD_KEYRING=off WARD_PASSPHRASE="ward demo passphrase"
  if [ ! -f "$WARD_VAULT" ]; then
    ./ward init
    grep -v '^#' scripts/demo-accounts.txt | xargs ./ward add >/dev/null
  fi
fi
exec ./ward "$@"
