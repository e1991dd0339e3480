#!/usr/bin/env bash
# Syscalls, context switches and CPU per transaction of each hop, Ferry (ferryd, agent) against the PgBouncer chain
# (A, B), from `perf stat` over a whole pgbench run (no strace: its overhead would change what it counts).
#   perf/scripts/syscalls-per-tx.sh [CLIENTS] [SECONDS]      (default 8 clients, 6 s; simple and extended protocol)
# Uses scripts/bench's set-up (BENCH_HOLD_CMD); prints one line per path, protocol and hop.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${1:-8} SECONDS_RUN=${2:-6}
export CLIENTS SECONDS_RUN
BENCH_HOLD_CMD='
set -eu
for mode in simple extended; do
  for path in pgbouncer_chain ferry; do
    if [ $path = ferry ]; then pids="ferryd=$FERRYD_PID agent=$AGENT_PID"; else pids="A=$PGB_CHAIN_A_PID B=$PGB_CHAIN_B_PID"; fi
    stats=()
    for hop in $pids; do
      perf stat -e raw_syscalls:sys_enter,context-switches,task-clock -p ${hop#*=} -o $BENCH_TMP/stat-${hop%%=*} &
      stats+=($!)
    done
    sleep 0.5
    out=$(cd $BENCH_TMP && $PG_BIN/pgbench -n -S -M $mode -c $CLIENTS -j 2 -T $SECONDS_RUN "$(cat $BENCH_TMP/conninfo-$path)" 2>&1)
    kill -INT "${stats[@]}"; wait "${stats[@]}" || true
    tx=$(echo "$out" | sed -n "s/^number of transactions actually processed: \([0-9]*\).*/\1/p")
    for hop in $pids; do
      f=$BENCH_TMP/stat-${hop%%=*}
      awk -v tx="$tx" -v what="$path $mode c$CLIENTS ${hop%%=*}" '"'"'
        /raw_syscalls:sys_enter/ {gsub(",", "", $1); sc = $1}
        /context-switches/ {gsub(",", "", $1); cs = $1}
        /task-clock/ {gsub(",", "", $1); ms = $1}
        END {printf "%-40s tx %7d  syscalls/tx %5.2f  cswitch/tx %5.2f  cpu us/tx %6.1f\n", what, tx, sc / tx, cs / tx, ms * 1000 / tx}'"'"' "$f"
    done
  done
done'
export BENCH_HOLD_CMD
exec scripts/bench --quick --no-profile --no-mysql
