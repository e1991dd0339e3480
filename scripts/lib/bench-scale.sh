# scripts/bench --scale: N simulated agents (perf/Ferry.LoadGen, real agent tunnels) + M idle clients on one proxy.
# Measures proxy RSS and CPU per idle tunnel, RSS per idle client, time for every agent to reconnect after the proxy
# restarts, and the proxy's peak CPU during that reconnect. The proxy is ferryd --all-in-one: its restart also restarts
# the auth service and the in-process agent (--proxies P: standalone proxies, bench-scale-mesh.sh). cpu_ticks comes
# from bench-workloads.sh.

# agents_connected: sum of the last "connected=" of every load generator log.
agents_connected() {
  local total=0 f n
  for f in "$BENCH_TMP"/scale/agents-*.log; do
    n=$(grep '^status' "$f" 2>/dev/null | tail -1 | sed -n 's/.*connected=\([0-9]*\).*/\1/p')
    total=$(( total + ${n:-0} ))
  done
  echo $total
}

wait_agents() {   # wait_agents TARGET TIMEOUT_S
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    [ "$(agents_connected)" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

run_scale() {
  local s=$BENCH_TMP/scale
  mkdir -p "$s" "$BENCH_TMP/ferry"
  start_ferry
  local n=$SCALE_AGENTS procs=$SCALE_PROCS m=$SCALE_IDLE clk
  clk=$(getconf CLK_TCK)
  step "scale: $n simulated agents in $procs processes, $m idle clients, one proxy (ferryd pid $FERRYD_PID)"
  sleep 3
  local rss0 cpu0 t0 cpu1 t1
  rss0=$(rss_kib "$FERRYD_PID")
  cpu0=$(cpu_ticks "$FERRYD_PID"); t0=$(now_s); sleep 10; cpu1=$(cpu_ticks "$FERRYD_PID"); t1=$(now_s)
  local base_cpu
  base_cpu=$(python3 -c "print(round(($cpu1 - $cpu0) / $clk / ($t1 - $t0), 4))")

  local i per=$(( n / procs )) extra=$(( n % procs ))
  for i in $(seq 0 $(( procs - 1 ))); do
    ferryd_admin certs host --role agent --id "loadgen-$i" --host 127.0.0.1 --ttl 8h --out-dir "$s/cert-$i" >/dev/null
    local count=$(( per + (i < extra ? 1 : 0) ))
    dotnet "$LOADGEN" agents --proxy "127.0.0.1:$FERRY_PORT" --cert "$s/cert-$i/cert.pem" --key "$s/cert-$i/key.pem" \
      --host-ca "$s/cert-$i/host-ca.pem" --count "$count" --ramp-ms 5 >"$s/agents-$i.log" 2>&1 &
    remember_pid "loadgen-agents-$i" $!
  done
  local t_start
  t_start=$(now_s)
  wait_agents "$n" 300 || { echo "error: only $(agents_connected) of $n agents connected: $(grep -h '^status' "$s"/agents-*.log | tail -2)" >&2; exit 1; }
  local t_up
  t_up=$(now_s)
  echo "  all $n agents connected after $(python3 -c "print(round($t_up - $t_start, 1))") s (ramped)"
  # Settled: ferryd compacts its heap in the first quiet 5 s period after a burst (IdleCompaction).
  sleep "${BENCH_IDLE_SETTLE:-12}"
  local rss1 cpu_a cpu_b ta tb
  rss1=$(rss_kib "$FERRYD_PID")
  cpu_a=$(cpu_ticks "$FERRYD_PID"); ta=$(now_s); sleep 20; cpu_b=$(cpu_ticks "$FERRYD_PID"); tb=$(now_s)
  local tunnels_cpu
  tunnels_cpu=$(python3 -c "print(round(($cpu_b - $cpu_a) / $clk / ($tb - $ta), 4))")
  echo "  ferryd RSS $rss0 -> $rss1 KiB with $n tunnels; CPU idle $base_cpu -> $tunnels_cpu cores"

  # M idle client sessions through the proxy to PostgreSQL, on top of the tunnels.
  dotnet "$LOADGEN" idle --protocol postgres --conn "$(npgsql_conn ferry)" --count "$m" --parallel 4 >"$s/idle.log" 2>&1 &
  local idle_pid=$!
  remember_pid loadgen-idle "$idle_pid"
  for i in $(seq 1 3000); do grep -q '^opened' "$s/idle.log" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.1; done
  local opened
  opened=$(awk '/^opened/ {print $2}' "$s/idle.log")
  sleep "${BENCH_IDLE_SETTLE:-12}"
  local rss2 cpu_c cpu_d tc td
  rss2=$(rss_kib "$FERRYD_PID")
  cpu_c=$(cpu_ticks "$FERRYD_PID"); tc=$(now_s); sleep 10; cpu_d=$(cpu_ticks "$FERRYD_PID"); td=$(now_s)
  local clients_cpu
  clients_cpu=$(python3 -c "print(round(($cpu_d - $cpu_c) / $clk / ($td - $tc), 4))")
  echo "  $opened idle clients: ferryd RSS $rss1 -> $rss2 KiB; CPU $clients_cpu cores"
  kill -TERM "$idle_pid" 2>/dev/null; wait "$idle_pid" 2>/dev/null || true
  sleep 3

  # Restart the proxy; every agent must come back (backoff with full jitter, cap 3 s).
  step "scale: restarting the proxy (SIGTERM, start again)"
  local t_kill
  t_kill=$(date +%s%3N)
  kill -TERM "$FERRYD_PID"
  for i in $(seq 1 200); do kill -0 "$FERRYD_PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$FERRYD_PID" 2>/dev/null && kill -KILL "$FERRYD_PID"
  local t_down
  t_down=$(date +%s%3N)
  mv "$BENCH_TMP/ferry/ferryd.log" "$BENCH_TMP/ferry/ferryd-1.log"
  "$FERRYD" --config "$BENCH_TMP/ferry/ferry.yaml" --all-in-one >"$BENCH_TMP/ferry/ferryd.log" 2>&1 &
  FERRYD_PID=$!
  remember_pid ferryd "$FERRYD_PID"
  local t_exec
  t_exec=$(date +%s%3N)
  # CPU samples of the new proxy every 200 ms until every agent is back (and 2 s more).
  : >"$s/cpu-samples.txt"
  local last_ticks=0 last_t=$t_exec done_at=""
  for i in $(seq 1 1500); do
    sleep 0.2
    kill -0 "$FERRYD_PID" 2>/dev/null || { cat "$BENCH_TMP/ferry/ferryd.log"; echo "error: ferryd died during reconnect" >&2; exit 1; }
    local now ticks
    now=$(date +%s%3N); ticks=$(cpu_ticks "$FERRYD_PID")
    echo "$now $ticks $(agents_connected)" >>"$s/cpu-samples.txt"
    if [ -z "$done_at" ] && [ "$(agents_connected)" -ge "$n" ] && [ $(( now - t_exec )) -gt 500 ]; then done_at=$now; fi
    if [ -n "$done_at" ] && [ $(( now - done_at )) -gt 2000 ]; then break; fi
  done
  local t_ready
  t_ready=$(stat -c %Y "$BENCH_TMP/ferry/ferryd.log")
  grep -q "ferryd ready" "$BENCH_TMP/ferry/ferryd.log" || echo "warning: restarted ferryd never said ready" >&2
  local rss3
  rss3=$(rss_kib "$FERRYD_PID")

  DATE=${DATE:-$(date -u +%Y-%m-%d)}
  mkdir -p "$RESULTS_DIR"
  local out=$RESULTS_DIR/scale-$DATE.md
  S_N=$n S_PROCS=$procs S_M=$m S_CLK=$clk S_T_KILL=$t_kill S_T_DOWN=$t_down S_T_EXEC=$t_exec S_DATE=$DATE \
  S_FERRY_MODE=$FERRY_MODE S_COMMAND="scripts/bench $ORIG_ARGS" S_LOAD_BEFORE="$LOAD_BEFORE" S_LOAD_AFTER="$(uptime)" S_OPENED=${opened:-0} \
  S_RSS0=$rss0 S_RSS1=$rss1 S_RSS2=$rss2 S_RSS3=$rss3 S_BASE_CPU=$base_cpu S_TUNNELS_CPU=$tunnels_cpu S_CLIENTS_CPU=$clients_cpu \
  python3 - "$s" "$out" <<'PY'
import glob, json, os, re, sys
e = os.environ
s, out = sys.argv[1], sys.argv[2]
n, procs, m, clk = int(e["S_N"]), int(e["S_PROCS"]), int(e["S_M"]), int(e["S_CLK"])
t_kill, t_down, t_exec = int(e["S_T_KILL"]), int(e["S_T_DOWN"]), int(e["S_T_EXEC"])
rss0, rss1, rss2, rss3 = (int(e[k]) for k in ("S_RSS0", "S_RSS1", "S_RSS2", "S_RSS3"))
base_cpu, tunnels_cpu, clients_cpu = (float(e[k]) for k in ("S_BASE_CPU", "S_TUNNELS_CPU", "S_CLIENTS_CPU"))
opened = int(e["S_OPENED"] or 0)
# Per load generator: first status after the kill with fewer connected than its target, then the first back at target.
back = []
drops = []
connects = 0
for f in sorted(glob.glob(s + "/agents-*.log")):
    lines = [l.split() for l in open(f) if l.startswith("status")]
    rows = [(int(l[1]), int(l[2].split("=")[1]), int(l[3].split("=")[1])) for l in lines]
    target = max(c for _, c, _ in rows)
    connects += rows[-1][2]
    dropped = next((t for t, c, _ in rows if t > t_kill and c < target), None)
    drops.append(dropped)
    ret = next((t for t, c, _ in rows if dropped is not None and t > dropped and c >= target), None)
    back.append(ret)
all_back = None if None in back else max(back)
samples = [tuple(map(int, l.split())) for l in open(s + "/cpu-samples.txt")]
peak, peak_at, total_ticks = 0.0, None, 0
prev_t, prev_ticks = t_exec, 0
for t, ticks, conn in samples:
    dt = (t - prev_t) / 1000
    if dt > 0:
        c = (ticks - prev_ticks) / clk / dt
        if c > peak:
            peak, peak_at = c, t
    prev_t, prev_ticks = t, ticks
window = [x for x in samples if all_back is None or x[0] <= all_back]
avg = (window[-1][1] / clk) / ((window[-1][0] - t_exec) / 1000) if window else None
res = {
    "date": e["S_DATE"], "command": e["S_COMMAND"].strip(),
    "load_before": e["S_LOAD_BEFORE"].strip(), "load_after": e["S_LOAD_AFTER"].strip(),
    "agents": n, "agent_processes": procs, "idle_clients_requested": m, "idle_clients_opened": opened,
    "proxy_rss_kib_baseline": rss0, "proxy_rss_kib_with_tunnels": rss1, "proxy_rss_kib_with_tunnels_and_clients": rss2,
    "rss_kib_per_idle_tunnel": round((rss1 - rss0) / n, 2),
    "rss_kib_per_idle_client": round((rss2 - rss1) / opened, 2) if opened else None,
    "proxy_cpu_cores_idle_no_agents": base_cpu, "proxy_cpu_cores_idle_with_tunnels": tunnels_cpu,
    "proxy_cpu_cores_with_tunnels_and_clients": clients_cpu,
    "cpu_percent_of_core_per_1000_idle_tunnels": round((tunnels_cpu - base_cpu) * 100 * 1000 / n, 3),
    "restart_stop_ms": t_down - t_kill,
    "reconnect_all_ms_from_new_process_start": None if all_back is None else all_back - t_exec,
    "reconnect_all_ms_from_kill": None if all_back is None else all_back - t_kill,
    "peak_proxy_cpu_cores_during_reconnect_200ms_window": round(peak, 2),
    "avg_proxy_cpu_cores_from_start_to_all_reconnected": None if avg is None else round(avg, 2),
    "proxy_rss_kib_after_reconnect": rss3,
    "agent_connects_total": connects,
}
md = [f"# Scale harness, {res['date']}", "",
      "Produced by `scripts/bench --scale` (perf/Ferry.LoadGen: every simulated agent runs the real `AgentTunnelClient` — TLS 1.3 with an agent host certificate, ALPN ferry-tunnel, MuxSession, a heartbeat every 5 s, reconnect with exponential backoff and full jitter, cap 3 s — serving no database).", "",
      "```", res["command"], "```", "",
      f"* Machine: {os.cpu_count()} CPUs shared with other agents' work; load before `{res['load_before']}`, after `{res['load_after']}`.",
      ("* Proxy = `ferryd --all-in-one` with `agent.enabled: false` from dist/ (auth service + proxy in one process; the PostgreSQL agent is the standalone `ferry-agent`, which reconnects by itself after the restart): its RSS and CPU include the idle auth service. The load generators run on the same 2 cores."
       if e["S_FERRY_MODE"] == "split" else
       "* Proxy = `ferryd --all-in-one` from dist/: its RSS and CPU include the auth service and its own agent, idle. The load generators run on the same 2 cores."),
      "* RSS per idle tunnel = (RSS with all tunnels idle 10 s after the last connected - RSS before) / agents. CPU = utime+stime of ferryd over 20 s.",
      "* Restart = SIGTERM, wait for exit, start the same binary with the same data dir; reconnect time = from starting the new process until every load generator reports all its agents connected again (status lines every 100 ms); peak CPU = the highest 200 ms sample of the new process meanwhile.", "",
      "| measure | value |", "|---|---:|"]
for k, v in res.items():
    if k in ("date", "command", "load_before", "load_after"):
        continue
    md.append(f"| {k} | {v} |")
md += ["", "## Goals (issue 12)", "",
       f"* <= 32 KiB proxy RSS per idle agent tunnel: measured {res['rss_kib_per_idle_tunnel']} KiB -> {'met' if res['rss_kib_per_idle_tunnel'] <= 32 else '**NOT met**'}.",
       f"* <= 8 KiB proxy RSS per idle client connection ({'proxy process only' if e['S_FERRY_MODE'] == 'split' else 'here ferryd holds proxy + agent halves of each session'}): measured {res['rss_kib_per_idle_client']} KiB -> {'n/a' if res['rss_kib_per_idle_client'] is None else ('met' if res['rss_kib_per_idle_client'] <= 8 else '**NOT met**')}.",
       "", "```json", json.dumps(res, indent=2), "```", ""]
open(out, "w").write("\n".join(md))
print("\n".join(md))
PY
  echo "wrote $out"
}
