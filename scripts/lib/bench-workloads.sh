# scripts/bench: the workloads. Each run appends one JSON line to $BENCH_TMP/results.jsonl:
# {"workload","path","rep", and tps/latency_ms_p50/latency_ms_p99 | mb_s | rss_kib_per_conn, plus details}.

record() { echo "$1" >>"$BENCH_TMP/results.jsonl"; }

# cpu_ticks PID: user + system CPU of a process in clock ticks (empty without a process). Also the scale runs'.
cpu_ticks() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk '{print $14 + $15}' "/proc/$1/stat"; }

# cpu_sample PATH: the CPU ticks of the path's first and second hop (proxy / agent, PgBouncer A / B), "t1 t2".
cpu_sample() { echo "$(cpu_ticks "$(proxy_pid "$1")")" "$(cpu_ticks "$(second_pid "$1")")"; }

# cpu_text JSON_MEMBERS: " cpu us/tx 171 + 263" for the progress line, from cpu_json's output.
cpu_text() { [ -z "$1" ] || python3 -c 'import json, sys
d = json.loads("{" + sys.argv[1].lstrip(",") + "}")
for unit in ("tx", "query"):
    v = [str(d[k]) for k in (f"cpu_us_per_{unit}", f"second_cpu_us_per_{unit}") if k in d]
    if v:
        print(f"  cpu us/{unit} " + " + ".join(v), end="")' "$1"; }

# cpu_json "BEFORE" "AFTER" COUNT KEY: JSON members with the CPU microseconds per unit (transaction, query) of each
# hop between two cpu_sample calls; nothing for a hop without a process (direct paths).
cpu_json() {
  local before=($1) after=($2) count=$3 key=$4 out="" tck
  tck=$(getconf CLK_TCK)
  [ "${count:-0}" -gt 0 ] 2>/dev/null || return 0
  if [ -n "${before[0]:-}" ] && [ -n "${after[0]:-}" ]; then
    out+=",\"cpu_us_per_$key\":$(( (after[0] - before[0]) * 1000000 / tck / count ))"
  fi
  if [ -n "${before[1]:-}" ] && [ -n "${after[1]:-}" ]; then
    out+=",\"second_cpu_us_per_$key\":$(( (after[1] - before[1]) * 1000000 / tck / count ))"
  fi
  echo "$out"
}

# latency_percentiles DIR: p50 and p99 (ms) over every transaction logged by pgbench -l in DIR.
latency_percentiles() {
  cat "$1"/log* | awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {
    if (NR == 0) { print "null null"; exit }
    i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
    i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
    printf "%.4f %.4f\n", v[i50] / 1000.0, v[i99] / 1000.0 }'
}

# run_pgbench WORKLOAD PATH REP CLIENTS EXTRA_ARGS...
run_pgbench() {
  local workload=$1 path=$2 rep=$3 clients=$4; shift 4
  local jobs=$(( clients < BENCH_CPUS ? clients : BENCH_CPUS ))
  local dir=$BENCH_TMP/runs/$workload-$path-$rep
  mkdir -p "$dir"
  local out cpu0 cpu1
  cpu0=$(cpu_sample "$path")
  if ! out=$(cd "$dir" && "$PG_BIN/pgbench" -n -S -c "$clients" -j "$jobs" -T "$PGBENCH_SECONDS" -l --log-prefix=log "$@" "$(conninfo "$path")" 2>&1); then
    echo "$out" | tail -5 >&2
    echo "warning: pgbench $workload on $path failed" >&2
    record "{\"workload\":\"$workload\",\"path\":\"$path\",\"rep\":$rep,\"error\":\"pgbench failed\"}"
    return 0
  fi
  cpu1=$(cpu_sample "$path")
  local tps failed processed cpu
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' | head -1)
  processed=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' | head -1)
  cpu=$(cpu_json "$cpu0" "$cpu1" "${processed:-0}" tx)
  read -r p50 p99 < <(latency_percentiles "$dir")
  rm -rf "$dir"
  printf '  %-22s %-10s rep %d: %10.1f tps  p50 %8s ms  p99 %8s ms%s\n' "$workload" "$path" "$rep" "$tps" "$p50" "$p99" "$(cpu_text "$cpu")"
  record "{\"workload\":\"$workload\",\"path\":\"$path\",\"rep\":$rep,\"tps\":$tps,\"latency_ms_p50\":$p50,\"latency_ms_p99\":$p99,\"failed\":${failed:-0}$cpu}"
}

now_s() { date +%s.%N; }

# run_copy_out PATH REP / run_copy_in PATH REP: COPY of the whole source table through the path, MB/s (MiB).
run_copy_out() {
  local path=$1 rep=$2 t0 t1 bytes
  t0=$(now_s)
  bytes=$("$PG_BIN/psql" "$(conninfo "$path")" -X -q -c "COPY copy_src TO STDOUT" | wc -c)
  t1=$(now_s)
  report_copy copy_out "$path" "$rep" "$bytes" "$t0" "$t1"
}

run_copy_in() {
  local path=$1 rep=$2 t0 t1
  pg_admin -d "$BENCH_DB_NAME" -c "TRUNCATE copy_dst" -c "CHECKPOINT"
  t0=$(now_s)
  "$PG_BIN/psql" "$(conninfo "$path")" -X -q -v ON_ERROR_STOP=1 -c "COPY copy_dst FROM STDIN" <"$BENCH_TMP/copy.dat"
  t1=$(now_s)
  local rows
  rows=$(pg_as_bench -t -A -c "SELECT count(*) FROM copy_dst")
  [ "$rows" -gt 0 ] || { echo "warning: COPY in through $path loaded no rows" >&2; }
  report_copy copy_in "$path" "$rep" "$COPY_BYTES" "$t0" "$t1"
}

report_copy() {
  local workload=$1 path=$2 rep=$3 bytes=$4 t0=$5 t1=$6
  if [ "$bytes" -ne "$COPY_BYTES" ]; then
    echo "warning: $workload through $path moved $bytes bytes, expected $COPY_BYTES" >&2
  fi
  local mbs
  mbs=$(python3 -c "print(round($bytes / 1048576 / ($t1 - $t0), 2))")
  printf '  %-22s %-10s rep %d: %10s MiB/s (%d bytes)\n' "$workload" "$path" "$rep" "$mbs" "$bytes"
  record "{\"workload\":\"$workload\",\"path\":\"$path\",\"rep\":$rep,\"mb_s\":$mbs,\"bytes\":$bytes,\"seconds\":$(python3 -c "print(round($t1 - $t0, 3))")}"
}

# run_idle PATH REP: hold $IDLE_CONNS idle sessions through PATH; RSS growth of the proxy process per session.
run_idle() {
  local path=$1 rep=$2 pid
  pid=$(proxy_pid "$path")
  [ -n "$pid" ] || return 0
  sleep 2
  local before after line agent_before="" agent_after=""
  before=$(rss_kib "$pid")
  local second
  second=$(second_pid "$path")
  [ -n "$second" ] && agent_before=$(rss_kib "$second")
  local log=$BENCH_TMP/idle-$path-$rep.log
  dotnet "$LOADGEN" idle --protocol postgres --conn "$(npgsql_conn "$path")" --count "$IDLE_CONNS" --parallel 4 >"$log" 2>&1 &
  local gen=$!
  remember_pid loadgen-idle "$gen"
  local i
  for i in $(seq 1 1200); do
    grep -q '^opened' "$log" && break
    kill -0 "$gen" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep '^opened' "$log" || true)
  # Idle memory is what a process holds once it has settled: ferryd and ferry-agent compact their heap in the first
  # quiet 5 s period after a burst (IdleCompaction), so the reading waits 12 s (BENCH_IDLE_SETTLE=S changes it).
  sleep "${BENCH_IDLE_SETTLE:-12}"
  # BENCH_IDLE_HOLD=SECONDS keeps the sessions open that long (to inspect the processes by hand).
  [ -n "${BENCH_IDLE_HOLD:-}" ] && { echo "  holding $path sessions ${BENCH_IDLE_HOLD}s: proxy pid $pid, agent pid ${AGENT_PID:-}"; sleep "$BENCH_IDLE_HOLD"; }
  after=$(rss_kib "$pid")
  [ -n "$agent_before" ] && agent_after=$(rss_kib "$second")
  local opened
  opened=$(echo "$line" | awk '{print $2}')
  kill -TERM "$gen" 2>/dev/null; wait "$gen" 2>/dev/null || true
  if [ -z "$opened" ] || [ "$opened" -eq 0 ]; then
    echo "warning: idle sessions through $path failed: $(tail -3 "$log")" >&2
    record "{\"workload\":\"idle_sessions\",\"path\":\"$path\",\"rep\":$rep,\"error\":\"no session opened\"}"
    return 0
  fi
  local per agent_json=""
  per=$(python3 -c "print(round(($after - $before) / $opened, 2))")
  printf '  %-22s %-10s rep %d: %s sessions, RSS %d -> %d KiB: %s KiB per session\n' idle_sessions "$path" "$rep" "$opened" "$before" "$after" "$per"
  if [ -n "$agent_after" ]; then
    local agent_per
    agent_per=$(python3 -c "print(round(($agent_after - $agent_before) / $opened, 2))")
    printf '  %-22s %-10s        second hop (agent / PgBouncer B) RSS %d -> %d KiB: %s KiB per session\n' "" "" "$agent_before" "$agent_after" "$agent_per"
    agent_json=",\"agent_rss_kib_per_conn\":$agent_per,\"agent_rss_kib_before\":$agent_before,\"agent_rss_kib_after\":$agent_after"
  fi
  record "{\"workload\":\"idle_sessions\",\"path\":\"$path\",\"rep\":$rep,\"rss_kib_per_conn\":$per,\"sessions\":$opened,\"rss_kib_before\":$before,\"rss_kib_after\":$after,\"requested\":$IDLE_CONNS,\"status\":\"$line\"$agent_json}"
  # Let the backends go away before the next path opens its sessions.
  for i in $(seq 1 100); do
    local n
    n=$(pg_as_bench -t -A -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$BENCH_DB_USER'" 2>/dev/null || echo 0)
    [ "${n:-0}" -le 5 ] && break
    sleep 0.2
  done
}

# interleave WORKLOAD_FN REPS PATHS...: A B C, C B A, A B C, ... Every other round runs the paths backwards: on this
# shared machine the path that runs first in a round reads differently (2026-12-06-audit-per-event.md), and an A/B
# of two builds must not carry that bias.
interleave() {
  local fn=$1 reps=$2; shift 2
  local rep i paths=("$@")
  for rep in $(seq 1 "$reps"); do
    if [ $((rep % 2)) -eq 0 ]; then
      for ((i = ${#paths[@]} - 1; i >= 0; i--)); do "$fn" "${paths[$i]}" "$rep"; done
    else
      for ((i = 0; i < ${#paths[@]}; i++)); do "$fn" "${paths[$i]}" "$rep"; done
    fi
  done
}

pgbench_select_c1()  { run_pgbench pgbench_select_c1  "$1" "$2" 1; }
pgbench_select_c8()  { run_pgbench pgbench_select_c8  "$1" "$2" 8; }
pgbench_select_c64() { run_pgbench pgbench_select_c64 "$1" "$2" 64; }
pgbench_extended_c8() { run_pgbench pgbench_extended_c8 "$1" "$2" 8 -M extended; }
pgbench_connect_c8() { run_pgbench pgbench_connect_c8 "$1" "$2" 8 -C; }
