#!/usr/bin/env bash
# Run by TestIssuerContrast inside a D-Bus session of its own: the desktop portal,
# D-Bus-activated with the GTK backend (which reads GNOME's colour scheme through
# dconf), is given the display; the scheme is set to $SCHEME; the bus's address
# goes to $BUS_FILE so that the test can change the scheme later; then Ward runs.
set -euo pipefail
export XDG_CURRENT_DESKTOP=GNOME
dbus-update-activation-environment DISPLAY XDG_CURRENT_DESKTOP XDG_CONFIG_HOME XDG_RUNTIME_DIR HOME
gsettings set org.gnome.desktop.interface color-scheme "$SCHEME"
echo "$DBUS_SESSION_BUS_ADDRESS" > "$BUS_FILE"
exec "$WARD_BIN"
