#!/usr/bin/env bash
# Run inside dbus-run-session: starts gnome-keyring (the real Secret Service, with a
# fresh unlocked login keyring in a private folder) and an Xvfb display, then runs
# the command given, and stops both when it ends.
set -euo pipefail
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

printf 'ward-test' | XDG_DATA_HOME="$work/keyrings" gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
# gnome-keyring needs a moment to own its D-Bus name after --unlock.
for _ in $(seq 1 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done

# -displayfd writes the display number Xvfb took, so parallel runs don't collide.
Xvfb -displayfd 3 -noreset -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
for _ in $(seq 1 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$work/display")"
echo "session: DISPLAY=$DISPLAY, Secret Service on the session bus" >&2
"$@"
