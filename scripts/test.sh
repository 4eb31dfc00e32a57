#!/usr/bin/env bash
# Runs every Ward test on a fresh Debian or Ubuntu machine that has Go and git: installs
# the packages the tests need (with sudo when not root), then runs the tests inside a
# new D-Bus session with gnome-keyring (the real Secret Service) and an Xvfb display.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
check_go
need_packages "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
if [ ! -f ../shared/interop/plain.txt ]; then
  echo "the interop corpus ../shared/interop is missing beside the project" >&2
  exit 1
fi
exec dbus-run-session -- bash scripts/session.sh bash scripts/test-session.sh "$@"
