#!/usr/bin/env bash
# The enrollment server under load, over loopback, on each database in one run:
# for SQLite and then PostgreSQL (a throwaway cluster, fsync on), ward-server with
# a fresh data folder, 64 enrolled users and an application token; then ward-load
# runs healthz and verify side by side, and 200 simultaneous sign-ins while this
# script samples the server's resident memory. Finally the audit table must hold
# every failure.
#
# Then forward-auth through Debian's nginx, run from deploy/nginx.conf (ports and
# Ward's addresses substituted): GET of an app with a signed-in session's cookie,
# nginx asking Ward about each (auth_request), beside the same nginx serving the
# app without asking; on SQLite, then on PostgreSQL with one instance and with two
# on one database behind nginx (round robin), verify through nginx beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
tmp=$(mktemp -d)
server= servers=() nginx_pid=
trap 'kill $server "${servers[@]}" $nginx_pid 2>/dev/null || true; stop_postgres; rm -rf "$tmp"' EXIT
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

# free_port [NOT]: a loopback port nobody listens on now, below the kernel's
# ephemeral range (32768 up here), where the load's own connections take their
# local ports (one of those is no listener, yet nginx cannot bind it), and not NOT.
free_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  while :; do
    p=$((10000 + RANDOM % (low - 10000)))
    [ "$p" = "${1:-}" ] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }
  done
}

# serve_port LOG: the port a ward-server's first log line names, once it answers.
serve_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*msg=serving addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { echo "$port"; return; }
    sleep 0.1
  done
  echo "ward-server did not answer within 10 s; its log:" >&2
  cat "$1" >&2
  return 1
}

# forward NAME DB INSTANCES: forward-auth through nginx, INSTANCES ward-servers
# on DB (one data folder: they share the server key), verify through nginx
# beside it.
forward() {
  local name=$1 db=$2 n=$3 port app i ports=() fusers=16 dir="$tmp/fwd-$1"
  echo "== forward-auth through nginx: $name"
  mkdir -p "$dir"
  export WARD_SERVER_DATA="$dir/data" WARD_SERVER_DB="$db"
  for i in $(seq 0 $((fusers - 1))); do "$tmp/ward-server" admin add-user "u$i" >/dev/null; done
  token=$("$tmp/ward-server" admin add-token load 2>/dev/null)
  port=$(free_port) app=$(free_port "$port")
  local instant; instant=$(free_port "$app")
  cat >"$dir/rules.json" <<'RULES'
{"default": "two_factor", "rules": [
  {"domain": "wiki.example.com", "path": "^/public/", "policy": "bypass"},
  {"domain": "wiki.example.com", "path": "^/admin/", "policy": "deny"},
  {"domain": "*.example.com", "policy": "two_factor"}
]}
RULES
  servers=()
  for i in $(seq 1 "$n"); do
    "$tmp/ward-server" serve --addr 127.0.0.1:0 --max-attempts 1000000000 --trusted-proxies 127.0.0.1 \
      --rules "$dir/rules.json" --cookie-domain example.com --base-url "http://auth.example.com:$port" 2>"$dir/server-$i.log" &
    servers+=($!)
    ports+=("$(serve_port "$dir/server-$i.log")")
  done
  # deploy/nginx.conf as it is, its upstream Ward's instances, the app a server
  # of nginx's own that answers at once; and the same app without Ward.
  local upstream=
  for i in "${ports[@]}"; do upstream+="server 127.0.0.1:$i; "; done
  sed -e "s/listen 80;/listen 127.0.0.1:$port;/" -e "s/^    server 127\.0\.0\.1:8080;/    $upstream/" -e "s/127\.0\.0\.1:3000/127.0.0.1:$app/" \
    deploy/nginx.conf >"$dir/site.conf"
  grep -q "server 127.0.0.1:${ports[0]};" "$dir/site.conf" || { echo "deploy/nginx.conf has no upstream ward line" >&2; exit 1; }
  {
    echo "server { listen 127.0.0.1:$port; server_name direct.example.com;"
    echo "    location / { proxy_pass http://127.0.0.1:$app; proxy_set_header Host \$http_host;"
    echo "        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto \$scheme; } }"
    echo "server { listen 127.0.0.1:$app; location / { return 200 \"the app\\n\"; } }"
    # The floor: the app behind the same auth_request as deploy/nginx.conf's, asking an
    # auth server (nginx's own, over a keepalive upstream as Ward's) that answers at
    # once with the same four headers, looking at nothing.
    echo "upstream instant { server 127.0.0.1:$instant; keepalive 32; }"
    echo "server { listen 127.0.0.1:$instant; location / { add_header Remote-User u0; add_header Remote-Name u0;"
    echo "    add_header Remote-Email \"\"; add_header Remote-Groups \"\"; return 200; } }"
    echo "server { listen 127.0.0.1:$port; server_name floor.example.com;"
    echo "    location / { auth_request /instant-auth; auth_request_set \$u \$upstream_http_remote_user;"
    echo "        proxy_set_header Remote-User \$u; proxy_pass http://127.0.0.1:$app; proxy_set_header Host \$http_host; }"
    echo "    location = /instant-auth { internal; proxy_pass http://instant; proxy_http_version 1.1; proxy_set_header Connection \"\";"
    echo "        proxy_pass_request_body off; proxy_set_header Content-Length \"\"; proxy_set_header X-Original-URL \$scheme://\$http_host\$request_uri; } }"
  } >>"$dir/site.conf"
  {
    [ "$(id -u)" -eq 0 ] && echo "user root;"
    echo "daemon off; worker_processes auto; pid $dir/nginx.pid; error_log $dir/nginx-error.log;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off;"
    for k in client_body proxy fastcgi uwsgi scgi; do echo "  ${k}_temp_path $dir/$k;"; done
    echo "  include $dir/site.conf; }"
  } >"$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" &
  nginx_pid=$!
  local ok=
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --connect-to "::127.0.0.1:" "http://direct.example.com:$port/" && ok=1 && break
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "nginx did not answer; its log:" >&2; cat "$dir/nginx-error.log" >&2; exit 1; }
  # Enrolled through nginx: the session cookie is the cookie domain's.
  "$tmp/ward-load" -url "http://auth.example.com:$port" -connect 127.0.0.1 -users $fusers -prepare -session-out "$dir/session"
  # The session passes, and none does not.
  local with without
  with=$(curl -s -o /dev/null -w '%{http_code}' --connect-to "::127.0.0.1:" -H "Cookie: ward_session=$(cat "$dir/session")" "http://wiki.example.com:$port/page")
  without=$(curl -s -o /dev/null -w '%{http_code}' --connect-to "::127.0.0.1:" "http://wiki.example.com:$port/page")
  echo "through nginx: the app with the session $with, without $without (a redirect to the sign-in page)"
  if [ "$with" != 200 ] || [ "$without" != 302 ]; then exit 1; fi

  # Ward's CPU time per request: its instances' together.
  "$tmp/ward-load" -connect 127.0.0.1 -forward "http://wiki.example.com:$port/wiki/Main_Page" \
    -direct "http://direct.example.com:$port/wiki/Main_Page" -floor "http://floor.example.com:$port/wiki/Main_Page" -session "$(cat "$dir/session")" \
    -users $fusers -pid "$(IFS=,; echo "${servers[*]}")" -c 64 -d 10s -url "http://auth.example.com:$port" -token "$token"
  kill -TERM $nginx_pid "${servers[@]}"; wait $nginx_pid "${servers[@]}" || true
  nginx_pid= servers=()
}

forward sqlite "" 1
pg_db() { psql -qtA "$WARD_TEST_POSTGRES" -c "CREATE DATABASE $1" >/dev/null; echo "${WARD_TEST_POSTGRES/\/postgres\?/\/$1?}"; }
forward postgres-one-instance "$(pg_db fwd1)" 1
forward postgres-two-instances "$(pg_db fwd2)" 2
