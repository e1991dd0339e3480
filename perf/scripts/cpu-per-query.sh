#!/usr/bin/env bash
# CPU cost of relaying one query through Ferry, side by side with HAProxy.
#
#   perf/scripts/cpu-per-query.sh [LABEL]        (run as root from anywhere; uses dist/ of this checkout)
#
# Starts the bench's set-up (scripts/lib/bench-setup.sh: PostgreSQL, HAProxy, ferryd + standalone
# ferry-agent from dist/, TLS on every leg), then twice runs pgbench -S for CPQ_SECONDS (default 5) at 1 and
# 8 clients through Ferry and through HAProxy, interleaved. For each Ferry run it prints the TPS, the
# average latency and the user + system CPU of ferryd + ferry-agent per transaction (/proc/PID/stat).
# BENCH_FERRYD_ENV="NAME=value ..." runs ferryd and ferry-agent with extra environment (runtime experiments).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
LABEL=${1:-ferry}
. scripts/lib/common.sh
. scripts/lib/bench-setup.sh
. scripts/lib/bench-workloads.sh
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (PostgreSQL runs as the postgres user)" >&2; exit 1; }
apt_install postgresql postgresql-client haproxy openssl python3 procps util-linux
FERRYD=$REPO/dist/ferryd
FERRY_AGENT=$REPO/dist/ferry-agent
[ -x "$FERRYD" ] && [ -x "$FERRY_AGENT" ] || scripts/build
FERRY_MODE=split QUICK=1 MYSQL=0 PROFILE=0 SCALE=0
BENCH_DB_USER=bench BENCH_DB_NAME=bench BENCH_CPUS=$(nproc)
PGBENCH_SCALE=10 COPY_MB=16 PG_MAX_CONN=300 IDLE_CONNS=100
SECONDS_PER_RUN=${CPQ_SECONDS:-5}
BENCH_TMP=$(mktemp -d /tmp/ferry-cpq.XXXXXX)
chmod 755 "$BENCH_TMP"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
setup_pki
start_postgres
load_data
start_haproxy
start_ferry

cpu_ticks() { cat "/proc/$FERRYD_PID/stat" "/proc/$AGENT_PID/stat" | awk '{s += $14 + $15} END {print s}'; }
measure() {   # measure CLIENTS PATH LABEL
  local clients=$1 path=$2 label=$3 jobs t0 t1 out n
  jobs=$(( clients < BENCH_CPUS ? clients : BENCH_CPUS ))
  t0=$(cpu_ticks)
  out=$(cd "$BENCH_TMP" && "$PG_BIN/pgbench" -n -S -c "$clients" -j "$jobs" -T "$SECONDS_PER_RUN" "$(conninfo "$path")" 2>&1)
  t1=$(cpu_ticks)
  n=$(echo "$out" | awk '/actually processed/ {print $NF}' | cut -d/ -f1)
  printf '%-12s clients=%-2d tps=%-7s latency_ms=%-6s' "$label" "$clients" \
    "$(echo "$out" | awk '/^tps/ {printf "%.0f", $3}')" "$(echo "$out" | awk '/latency average/ {print $4}')"
  if [ "$path" = ferry ]; then
    echo " ferry_cpu_us_per_tx=$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / n ))"
  else
    echo
  fi
}
for round in 1 2; do
  measure 1 ferry "$LABEL"; measure 1 haproxy haproxy
  measure 8 ferry "$LABEL"; measure 8 haproxy haproxy
done
