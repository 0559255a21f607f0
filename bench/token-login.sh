#!/usr/bin/env bash
# Times `gdlogin login --method token` against the documented curl | jq
# recipe on the same emulated organization, alternating the two, and prints
# the medians and their ratio. gdlogin does more (it reads the profile,
# creates the token and verifies it with a second call); the target is a
# ratio of at most 1.0.
#
#   bench/token-login.sh [RUNS]      (default 40 runs of each)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
for tool in curl jq; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install -y $tool)" >&2; exit 1; }
done
work=$(mktemp -d)
export GDLOGIN_CONFIG_DIR="$work"
trap 'kill $org_pid 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/gdlogin" ./cmd/gdlogin
go build -o "$work/orgserve" ./bench/orgserve
"$work/orgserve" -token-file "$work/token" >"$work/url" &
org_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && [ -s "$work/token" ] && break; sleep 0.1; done
url=$(cat "$work/url")

now() { date +%s%N; }
gd=() cj=()
for i in $(seq "$runs"); do
  t0=$(now)
  "$work/gdlogin" login "$url" --method token --with-token --token-id "gd-$i" --output token --no-save --quiet <"$work/token" >/dev/null
  t1=$(now)
  # The documented recipe; the header is read from a file so that the
  # token does not show in the process list.
  printf 'Authorization: Bearer %s\n' "$(cat "$work/token")" >"$work/h"
  t2=$(now)
  curl -sS --request POST -H 'Content-type: application/vnd.gooddata.api+json' -H @"$work/h" \
    -d "{\"data\":{\"id\":\"cj-$i\",\"type\":\"apiToken\"}}" \
    "$url/api/v1/entities/users/admin/apiTokens" | jq -r .data.attributes.bearerToken >/dev/null
  t3=$(now)
  gd+=($(( (t1 - t0) / 1000 ))) cj+=($(( (t3 - t2) / 1000 )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mg=$(median "${gd[@]}") mc=$(median "${cj[@]}")
echo "runs:                   $runs each, alternating"
echo "gdlogin login (median): ${mg} µs  (profile + create + verify)"
echo "curl | jq (median):     ${mc} µs  (create only)"
awk -v a="$mg" -v b="$mc" 'BEGIN { printf "ratio gdlogin / curl+jq: %.2f\n", a / b }'
