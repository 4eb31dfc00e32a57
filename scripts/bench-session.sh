#!/usr/bin/env bash
set -euo pipefail
echo "== Go benchmarks (ns/op; targets: open < 20 ms, save < 30 ms, ward code < 60 ms)"
go test -run '^$' -bench 'Open1000|Save1000' -benchtime 2s -count 3 ./vault
go test -run '^$' -bench 'SecretService|CodeProcess' -benchtime 50x -count 3 .

echo "== The window (targets: first frame < 500 ms, search keystroke < 16 ms, idle < 2 % of a core, untouched and with the search focused, and < 200 MB)"
go test -run '^$' -bench 'FirstFrame|Search' -benchtime 50x ./app
go test -run '^$' -bench 'IdleWindow40' -benchtime 1x .
echo "== The window with its server running over a team's folder (targets: idle < 3 % of a core and < 250 MB)"
go test -run '^$' -bench 'IdleTeamWindow40' -benchtime 1x .
go test -run '^$' -bench 'WindowMap' -benchtime 10x .   # start to a mapped window

echo "== ward code beside oathtool (hyperfine)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ward" .
export WARD_VAULT="$tmp/vault.ward"
WARD_PASSPHRASE="bench passphrase" "$tmp/ward" init >/dev/null
WARD_PASSPHRASE="bench passphrase" "$tmp/ward" add 'otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RFC' >/dev/null
hyperfine -N --warmup 5 --runs 100 \
  -n "ward code (Secret Service)" "$tmp/ward code rfc" \
  -n "oathtool --totp" "oathtool --totp 3132333435363738393031323334353637383930"

echo "== QR decoding: Ward beside zbarimg on the same images (median of 5 runs each)"
go run ./internal/qrbench -ward "$tmp/ward" -runs 5 2>/dev/null

echo "== The enrollment server under load (scripts/bench-server.sh)"
bash scripts/bench-server.sh
