#!/usr/bin/env bash
# The enrollment server under load, over loopback, on each database in one run:
# for SQLite and then PostgreSQL (a throwaway cluster, fsync on), ward-server with
# a fresh data folder, 64 enrolled users and an application token; then ward-load
# runs healthz and verify side by side, and 200 simultaneous sign-ins while this
# script samples the server's resident memory. Finally the audit table must hold
# every failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
tmp=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; stop_postgres; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/ward-server" ./server/cmd/ward-server
go build -o "$tmp/ward-load" ./server/cmd/ward-load
export WARD_USER_PASSWORD="load test password"
users=64

# run NAME DB COUNT: one engine's run; COUNT prints the audit events of a kind.
run() {
  local name=$1 db=$2 count=$3 port= peak=0
  echo "== $name"
  export WARD_SERVER_DATA="$tmp/data-$name" WARD_SERVER_DB="$db"
  for i in $(seq 0 $((users - 1))); do "$tmp/ward-server" admin add-user "u$i" >/dev/null; done
  token=$("$tmp/ward-server" admin add-token load 2>/dev/null)
  # Wrong codes are the point: an attempt budget large enough that none locks. Port
  # 0: the system picks a free port, which the server's first log line says.
  "$tmp/ward-server" serve --addr 127.0.0.1:0 --max-attempts 1000000000 2>"$tmp/server-$name.log" &
  server=$!
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*msg=serving addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server-$name.log")
    [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    port=
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "ward-server did not answer within 10 s; its log:" >&2
    cat "$tmp/server-$name.log" >&2
    exit 1
  fi
  "$tmp/ward-load" -url "http://127.0.0.1:$port" -users $users -prepare
  rm -f "$tmp/peak"
  ( while kill -0 $server 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print $2}' /proc/$server/status 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" > "$tmp/peak"
      sleep 0.05
    done ) &
  "$tmp/ward-load" -url "http://127.0.0.1:$port" -pid $server -token "$token" -users $users -c 64 -d 10s -signins 200
  echo "server's peak resident memory: $(( $(cat "$tmp/peak") / 1024 )) MB (target < 500 MB)"
  kill -TERM $server; wait $server || true
  server=
  echo "audit table: $($count verify_failed) verify_failed + $($count verified) verified events (each answered verify is one of them)"
}

sqlite_count() { sqlite3 "$tmp/data-sqlite/ward.db" "SELECT COALESCE(SUM(count), 0) FROM audit WHERE event = '$1'"; }
run sqlite "" sqlite_count

start_postgres durable
pg_count() { psql -qtA "$WARD_TEST_POSTGRES" -c "SELECT COALESCE(SUM(count), 0) FROM audit WHERE event = '$1'"; }
run postgres "$WARD_TEST_POSTGRES" pg_count
