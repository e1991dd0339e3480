#!/usr/bin/env bash
# Measures ferryd --all-in-one's resident memory around single 8, 20 and 40 MB queries through psql
# (issue 20, item 16). Starts the demo (scripts/demo, interactive) from ROOT (default: this checkout)
# in a temporary directory, runs each query once through the proxy with `psql service=ferry-pg-demo`,
# and prints VmRSS / VmHWM of ferryd before, after each query, and 15 s after the last.
#
#   perf/scripts/large-statement-memory.sh [ROOT]     ROOT must hold scripts/ and dist/ (the binaries to measure)
set -euo pipefail
ROOT=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
DEMO=$(mktemp -d /tmp/ferry-mem.XXXXXX)
export FERRY_DEMO_DIR=$DEMO
"$ROOT/scripts/demo" >"$DEMO.log" 2>&1 &
DEMO_PID=$!
trap 'kill -INT $DEMO_PID 2>/dev/null; wait $DEMO_PID 2>/dev/null; rm -rf "$DEMO" "$DEMO.log"' EXIT
for _ in $(seq 1 900); do grep -q "Ferry is up" "$DEMO.log" 2>/dev/null && break; kill -0 $DEMO_PID || { cat "$DEMO.log"; exit 1; }; sleep 1; done
grep -q "Ferry is up" "$DEMO.log" || { cat "$DEMO.log"; exit 1; }
# shellcheck disable=SC1091
. "$DEMO/env"
FERRYD_PID=$(for p in $FERRY_DEMO_PIDS; do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -q -- '--all-in-one' && echo "$p"; done | head -1)
PSQL=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/psql
mem() { printf '%-28s %s\n' "$1" "$(grep -E '^(VmRSS|VmHWM)' /proc/$FERRYD_PID/status | tr -s ' \n' ' ')"; }
mem "idle after the demo"
for mb in 8 20 40; do
  f=$DEMO/q$mb.sql
  { printf 'SELECT length('"'"; head -c $((mb * 1000 * 1000)) /dev/zero | tr '\0' x; printf "'"');\n'; } >"$f"
  "$PSQL" "service=ferry-pg-demo" -X -q -A -t -f "$f" >/dev/null
  rm -f "$f"
  mem "after a ${mb} MB query"
done
sleep 15
mem "15 s later"
