# Shared by run.sh, test.sh and bench.sh: install what Ward needs on Debian or Ubuntu.

# as_root runs a command as root: directly when we are root, else with sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# need_packages installs the Debian packages given that are not installed yet.
need_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fyne's cgo build: a C compiler, OpenGL and X11 headers (and Wayland's keyboard
# library, which Fyne's GLFW links on Linux).
BUILD_PACKAGES=(gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev libxkbcommon-dev ca-certificates)

# Running the window: Mesa's software OpenGL for machines without a GPU driver.
RUN_PACKAGES=(libgl1-mesa-dri libglx-mesa0)

# The tests: an X server, a D-Bus session with gnome-keyring (the real Secret
# Service), oathtool (independent codes), for the window smoke test a screenshot
# tool, a window finder and OCR, and for the screen scans an image viewer and a
# Wayland session.
TEST_PACKAGES=(poppler-utils xvfb xauth dbus gnome-keyring libsecret-tools oathtool imagemagick xdotool tesseract-ocr tesseract-ocr-eng hyperfine xclip
  # a real Wayland session for the screen scan through the desktop portal: headless
  # sway, the portal with its wlroots backend (which runs grim and needs PipeWire)
  # and the GTK backend for the Access interface the portal requires
  sway swaybg grim pipewire pipewire-bin xdg-desktop-portal xdg-desktop-portal-wlr xdg-desktop-portal-gtk
  # the web pages in a real browser
  chromium
  # the server's second database, a throwaway cluster started by the tests
  postgresql
  # a real reverse proxy in front of the server (two instances, round robin;
  # forward-auth), Caddy for forward_auth, and systemd-analyze for the service unit
  # in deploy/
  nginx caddy systemd
  # a real sync engine between two homes: two Syncthing instances on loopback
  syncthing
  # ward install-desktop: the scheme handler registered and queried with xdg-mime,
  # the entry checked by desktop-file-validate; the Linux bundle (scripts/package.sh)
  # unpacked and installed with its Makefile
  xdg-utils desktop-file-utils xz-utils make)

# The benchmarks: zbarimg, the peer the QR decoder is measured against; nginx,
# in front of the server for forward-auth and two instances.
BENCH_PACKAGES=(zbar-tools curl sqlite3 postgresql nginx)

check_go() {
  command -v go >/dev/null || { echo "Go is not installed: get Go 1.26 or newer first" >&2; exit 1; }
}

# start_postgres starts a throwaway PostgreSQL cluster for the tests and benchmarks:
# initdb into a temporary folder (as the postgres user when we are root, since
# PostgreSQL refuses to run as root), trust on loopback only, a free port, no
# fsync unless "durable" is given; it exports WARD_TEST_POSTGRES, a URL of the
# cluster's postgres database. stop_postgres stops it and removes the folder.
start_postgres() {
  local bin run=() port fsync=off
  [ "${1:-}" = durable ] && fsync=on
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_DIR=$(mktemp -d)
  chmod 755 "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U ward -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; return 1; }
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 20000))
    if "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PG_DIR -c fsync=$fsync -c max_connections=300" \
      start >/dev/null 2>&1; then
      PG_BIN=$bin PG_RUN="${run[*]}"
      export WARD_TEST_POSTGRES="postgres://ward@127.0.0.1:$port/postgres?sslmode=disable"
      echo "PostgreSQL on 127.0.0.1:$port ($PG_DIR)" >&2
      return 0
    fi
  done
  echo "PostgreSQL did not start; its log:" >&2
  cat "$PG_DIR/server.log" >&2
  return 1
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  $PG_RUN "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
