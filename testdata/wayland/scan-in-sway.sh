#!/usr/bin/env bash
# Run by TestWaylandPortalScan inside its own dbus-run-session: a headless sway
# shows $CODE_PNG as its wallpaper; xdg-desktop-portal (with the wlr backend for the
# screenshot and the GTK one for the Access interface the frontend requires) is
# D-Bus-activated; then `$WARD_BIN scan --screen --print` runs with no X11 display,
# its standard output going to $OUT_FILE (activated services share this stdout).
set -euo pipefail
runtime=$(mktemp -d)
chmod 700 "$runtime"
conf=$(mktemp)
picture=$(mktemp --suffix .png) # readable by sway's user, unlike the test's folder
cp "$CODE_PNG" "$picture"
echo "output HEADLESS-1 resolution 1920x1080 bg $picture center #202020" > "$conf"
chmod 644 "$conf" "$picture"
export XDG_RUNTIME_DIR=$runtime WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman
unset DISPLAY
sway_cmd=(sway -c "$conf")
if [ "$(id -u)" -eq 0 ]; then
  # sway refuses to run as root; the portal and Ward (root) can still reach its socket.
  chown 65534:65534 "$runtime"
  sway_cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp "${sway_cmd[@]}")
fi
"${sway_cmd[@]}" >"$runtime.sway.log" 2>&1 &
sway_pid=$!
pipewire >/dev/null 2>&1 &
pw_pid=$!
trap 'kill $sway_pid $pw_pid 2>/dev/null || true; rm -f "$conf" "$picture"' EXIT
for _ in $(seq 1 100); do
  ls "$runtime" 2>/dev/null | grep -q '^wayland-[0-9]*$' && break
  sleep 0.1
done
export WAYLAND_DISPLAY=$(ls "$runtime" | grep '^wayland-[0-9]*$' | head -1)
[ -n "$WAYLAND_DISPLAY" ] || { echo "sway did not start:" >&2; cat "$runtime.sway.log" >&2; exit 3; }
export XDG_CURRENT_DESKTOP=sway:GNOME XDG_SESSION_TYPE=wayland
dbus-update-activation-environment WAYLAND_DISPLAY XDG_CURRENT_DESKTOP XDG_RUNTIME_DIR XDG_SESSION_TYPE
sleep 1 # the wallpaper's first frame
"$WARD_BIN" scan --screen --print >"$OUT_FILE"
