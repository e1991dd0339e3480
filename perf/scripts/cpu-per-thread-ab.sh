#!/usr/bin/env bash
# CPU per transaction of each thread group of the agent and ferryd, ferry (dist/) against ferry_b (an A/B dist),
# interleaved: for a change whose cost sits in one thread (the audit fsync thread) or is smaller than the spread of a
# whole process's CPU between runs. Reads /proc/PID/task/*/stat around each pgbench run.
#   perf/scripts/cpu-per-thread-ab.sh AB_DIST [REPS] [SECONDS] [MODE] [CLIENTS]   (default 6 reps, 8 s, simple, 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
AB_DIST=${1:?usage: perf/scripts/cpu-per-thread-ab.sh AB_DIST [REPS] [SECONDS] [MODE] [CLIENTS]}
export AB_REPS=${2:-6} AB_SECS=${3:-8} AB_MODE=${4:-simple} AB_CLIENTS=${5:-8}
BENCH_HOLD_CMD='
set -u
threads() { # pid -> "name ticks" per thread name (spaces as _; threads of one name summed)
  for t in /proc/$1/task/*; do
    s=$(cat $t/stat 2>/dev/null) || continue
    comm=${s#*(}; comm=${comm%%)*}; rest=${s##*) }
    set -- $rest
    echo "${comm// /_} $(( ${12} + ${13} ))"
  done | awk "{a[\$1]+=\$2} END {for (k in a) print k, a[k]}"
}
tck=$(getconf CLK_TCK)
for rep in $(seq 1 $AB_REPS); do
  order="ferry ferry_b"; [ $((rep % 2)) -eq 0 ] && order="ferry_b ferry"   # every other round backwards: no first-in-round bias
  for path in $order; do
    if [ $path = ferry ]; then pids="ferryd=$FERRYD_PID agent=$AGENT_PID"; else pids="ferryd=$FERRYD_B_PID agent=$AGENT_B_PID"; fi
    for hop in $pids; do threads ${hop#*=} > $BENCH_TMP/t0-${hop%%=*}; done
    out=$(cd $BENCH_TMP && $PG_BIN/pgbench -n -S -M $AB_MODE -c $AB_CLIENTS -j 2 -T $AB_SECS "$(cat $BENCH_TMP/conninfo-$path)" 2>&1) || true
    tx=$(echo "$out" | sed -n "s/^number of transactions actually processed: \([0-9]*\).*/\1/p")
    if [ -z "$tx" ] || [ "$tx" = 0 ]; then echo "rep $rep $path: pgbench failed: $(echo "$out" | tail -3)"; continue; fi
    for hop in $pids; do
      threads ${hop#*=} > $BENCH_TMP/t1-${hop%%=*}
      join <(sort $BENCH_TMP/t0-${hop%%=*}) <(sort $BENCH_TMP/t1-${hop%%=*}) | awk -v tx=$tx -v k=$tck -v p=$path -v h=${hop%%=*} -v r=$rep "
        { d = (\$3 - \$2) / k * 1e6 / tx; total += d; if (d >= 0.5) parts = parts sprintf(\"  %s %.1f\", \$1, d) }
        END { printf \"rep %d %-8s %-6s tx %7d  total %6.1f us/tx |%s\n\", r, p, h, tx, total, parts }"
    done
  done
done'
export BENCH_HOLD_CMD
exec scripts/bench --quick --no-profile --no-mysql --ab-dist "$AB_DIST"
