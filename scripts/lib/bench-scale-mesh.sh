# scripts/bench --scale --proxies P (P >= 2): N simulated agents in the agent mesh across P standalone proxies.
# One auth server (ferryd with an auth section; its own proxy is not listed to agents) and P standalone proxies
# (ferryd with a proxy section only, proxy.tunnel_addr set), as in tests/Ferry.EndToEnd.Tests/FerryCluster.Mesh.cs.
# Every simulated agent (perf/Ferry.LoadGen agents, one process per --agent-procs) runs the agent's AgentTunnelMesh
# over all P proxies: one real tunnel to each. Measures each proxy's RSS per idle tunnel and idle CPU, then kill -9 of
# proxy 0, a restart after SCALE_DOWN_S seconds, and until every agent is back on it: the reconnect spread (from the
# load generators' connect counters every 100 ms), the restarted proxy's peak CPU (200 ms samples) and whether the
# other proxies' tunnels stayed up (their connect counters do not move). Bounded: each wait has a timeout.
# Uses cpu_ticks, agents_connected-style status parsing and the RESULTS_DIR/DATE conventions of bench-scale.sh.

# mesh_status_sum FIELD: the sum over the load generators of FIELD (up0, conn1, …) in each one's last status line.
mesh_status_sum() {
  local total=0 f n
  for f in "$BENCH_TMP"/scale/agents-*.log; do
    n=$(tail -n 3 "$f" 2>/dev/null | grep '^status' | tail -1 | sed -n "s/.* $1=\([0-9]*\).*/\1/p")
    total=$(( total + ${n:-0} ))
  done
  echo $total
}

# mesh_all_up FIELDS...: true when every given field sums to SCALE_AGENTS.
mesh_all_up() {
  local k
  for k in "$@"; do [ "$(mesh_status_sum "$k")" -ge "$SCALE_AGENTS" ] || return 1; done
}

# start_mesh_ferryd NAME CONFIG READY_TEXT: starts ferryd, waits up to 60 s for READY_TEXT; sets MESH_PID.
start_mesh_ferryd() {
  local f=$BENCH_TMP/ferry i
  "$FERRYD" --config "$2" >"$f/$1.log" 2>&1 &
  MESH_PID=$!
  remember_pid "$1" "$MESH_PID"
  for i in $(seq 1 600); do
    grep -q "$3" "$f/$1.log" && return 0
    kill -0 "$MESH_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$f/$1.log" >&2
  echo "error: $1 did not start" >&2
  exit 1
}

run_scale_mesh() {
  local s=$BENCH_TMP/scale f=$BENCH_TMP/ferry
  mkdir -p "$s" "$f/data"
  local n=$SCALE_AGENTS procs=$SCALE_PROCS np=$SCALE_PROXIES down=${SCALE_DOWN_S:-5} clk nofile
  clk=$(getconf CLK_TCK)
  nofile=$(ulimit -n)
  # Seconds: idle baseline, settling after every tunnel is up, idle CPU window (--quick: short).
  local base_s=10 settle_s=15 cpu_s=20
  [ "${QUICK:-0}" -eq 1 ] && base_s=3 settle_s=3 cpu_s=5
  # File descriptors: each proxy holds one socket per agent, each load generator one per agent per proxy.
  local per_gen=$(( (n + procs - 1) / procs * np + 256 ))
  if [ "$nofile" -lt $(( n + 256 )) ] || [ "$nofile" -lt "$per_gen" ]; then
    echo "error: ulimit -n is $nofile: a proxy needs $(( n + 256 )) and each load generator $per_gen descriptors (raise the hard limit or use more --agent-procs)" >&2
    exit 1
  fi

  local auth_port proxy_port
  auth_port=$(free_port); proxy_port=$(free_port)
  cat >"$f/auth.yaml" <<EOF
cluster_name: bench
data_dir: $f/data
auth:
  listen_addr: 127.0.0.1:$auth_port
proxy:
  listen_addr: 127.0.0.1:$proxy_port
  mysql_listen_addr: 127.0.0.1:$(free_port)
  public_addrs: [127.0.0.1:$proxy_port]
agent:
  enabled: false
EOF
  step "scale (mesh): auth server on $auth_port, $np standalone proxies, $n simulated agents in $procs processes"
  start_mesh_ferryd auth "$f/auth.yaml" "ferryd ready"
  local pin
  pin=$(ferryd_admin ca export --type host --fingerprint | head -1)
  # One agent host certificate per load generator; `certs host` also registers the host (proxies refuse tunnels of
  # unregistered agents), before the proxies start and take their first snapshot of the registered hosts.
  local i
  for i in $(seq 0 $(( procs - 1 ))); do
    ferryd_admin certs host --role agent --id "loadgen-$i" --host 127.0.0.1 --ttl 8h --out-dir "$s/cert-$i" >/dev/null
  done
  local j ports=() pids=() configs=() addrs=""
  for j in $(seq 0 $(( np - 1 ))); do
    local port token
    port=$(free_port)
    token=$(ferryd_admin tokens add --role proxy --ttl 10m | sed -n 's/.*token: \([^ ]*\).*/\1/p')
    # Every simulated agent comes from 127.0.0.1: both connection caps must hold all of them.
    cat >"$f/proxy$j.yaml" <<EOF
cluster_name: bench
data_dir: $f/proxy$j-data
proxy:
  listen_addr: 127.0.0.1:$port
  mysql_listen_addr: 127.0.0.1:$(free_port)
  public_addrs: [127.0.0.1:$port]
  tunnel_addr: 127.0.0.1:$port
  auth_addr: 127.0.0.1:$auth_port
  join_token: $token
  ca_pin: $pin
  max_connections: $(( n + 1000 ))
  max_connections_per_source: $(( n + 1000 ))
EOF
    start_mesh_ferryd "proxy$j" "$f/proxy$j.yaml" "ferryd ready: proxy"
    ports+=("$port"); pids+=("$MESH_PID"); configs+=("$f/proxy$j.yaml")
    addrs+="${addrs:+,}127.0.0.1:$port"
  done
  echo "  proxies: $addrs (pids ${pids[*]})"
  sleep 1

  local rss0=() cpu0=() t0 t1 base_cpu=()
  for j in "${!pids[@]}"; do rss0+=("$(rss_kib "${pids[$j]}")"); cpu0+=("$(cpu_ticks "${pids[$j]}")"); done
  t0=$(now_s); sleep "$base_s"; t1=$(now_s)
  for j in "${!pids[@]}"; do
    base_cpu+=("$(python3 -c "print(round(($(cpu_ticks "${pids[$j]}") - ${cpu0[$j]}) / $clk / ($t1 - $t0), 4))")")
  done

  local per=$(( n / procs )) extra=$(( n % procs ))
  for i in $(seq 0 $(( procs - 1 ))); do
    local count=$(( per + (i < extra ? 1 : 0) ))
    dotnet "$LOADGEN" agents --proxy "$addrs" --cert "$s/cert-$i/cert.pem" --key "$s/cert-$i/key.pem" \
      --host-ca "$s/cert-$i/host-ca.pem" --count "$count" --ramp-ms "${SCALE_RAMP_MS:-5}" >"$s/agents-$i.log" 2>&1 &
    remember_pid "loadgen-agents-$i" $!
  done
  local ups=() conns=()
  for j in "${!pids[@]}"; do ups+=("up$j"); conns+=("conn$j"); done
  local t_start t_up
  t_start=$(now_s)
  for i in $(seq 1 $(( ${SCALE_UP_TIMEOUT_S:-900} * 2 ))); do
    mesh_all_up "${ups[@]}" && break
    sleep 0.5
  done
  mesh_all_up "${ups[@]}" || { echo "error: not every tunnel came up: $(for k in "${ups[@]}"; do printf '%s=%s ' "$k" "$(mesh_status_sum "$k")"; done); $(grep -h '^status' "$s"/agents-*.log | tail -1)" >&2; exit 1; }
  t_up=$(now_s)
  echo "  all $n agents x $np tunnels up after $(python3 -c "print(round($t_up - $t_start, 1))") s (ramped)"
  sleep "$settle_s"

  local rss1=() cpu_a=() ta tb idle_cpu=()
  for j in "${!pids[@]}"; do rss1+=("$(rss_kib "${pids[$j]}")"); cpu_a+=("$(cpu_ticks "${pids[$j]}")"); done
  ta=$(now_s); sleep "$cpu_s"; tb=$(now_s)
  for j in "${!pids[@]}"; do
    idle_cpu+=("$(python3 -c "print(round(($(cpu_ticks "${pids[$j]}") - ${cpu_a[$j]}) / $clk / ($tb - $ta), 4))")")
  done
  echo "  RSS KiB before -> with tunnels: $(for j in "${!pids[@]}"; do printf 'proxy%s %s -> %s; ' "$j" "${rss0[$j]}" "${rss1[$j]}"; done)"
  local fds0
  fds0=$(ls "/proc/${pids[0]}/fd" | wc -l)

  # kill -9 proxy 0; the others keep their tunnels. Restart it after $down s; sample until every agent is back.
  step "scale (mesh): kill -9 proxy0 (pid ${pids[0]}), restart after ${down} s"
  local other_conns_before
  other_conns_before=$(for j in $(seq 1 $(( np - 1 ))); do printf '%s ' "$(mesh_status_sum "conn$j")"; done)
  local t_kill t_exec
  t_kill=$(date +%s%3N)
  kill -KILL "${pids[0]}"
  wait "${pids[0]}" 2>/dev/null || true
  : >"$s/down-samples.txt"
  for i in $(seq 1 $(( down * 5 ))); do
    sleep 0.2
    echo "$(date +%s%3N) $(for k in "${ups[@]}"; do printf '%s ' "$(mesh_status_sum "$k")"; done)" >>"$s/down-samples.txt"
  done
  mv "$f/proxy0.log" "$f/proxy0-before-kill.log"
  "$FERRYD" --config "${configs[0]}" >"$f/proxy0.log" 2>&1 &
  pids[0]=$!
  remember_pid proxy0-restarted "${pids[0]}"
  t_exec=$(date +%s%3N)
  : >"$s/cpu-samples.txt"
  local done_at="" now ticks others t_ready=""
  for i in $(seq 1 $(( ${SCALE_BACK_TIMEOUT_S:-300} * 5 ))); do
    sleep 0.2
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$f/proxy0.log" >&2; echo "error: the restarted proxy died" >&2; exit 1; }
    now=$(date +%s%3N); ticks=$(cpu_ticks "${pids[0]}")
    others=$(for j in $(seq 1 $(( np - 1 ))); do printf '%s ' "$(cpu_ticks "${pids[$j]}")"; done)
    [ -z "$t_ready" ] && grep -q "ferryd ready" "$f/proxy0.log" && t_ready=$now
    echo "$now $ticks $(mesh_status_sum up0) $(mesh_status_sum conn0) | $others" >>"$s/cpu-samples.txt"
    if [ -z "$done_at" ] && mesh_all_up "${ups[@]}"; then done_at=$now; fi
    if [ -n "$done_at" ] && [ $(( now - done_at )) -gt 2000 ]; then break; fi
  done
  [ -n "$done_at" ] || echo "warning: not every agent came back to proxy0 within ${SCALE_BACK_TIMEOUT_S:-300} s" >&2
  local rss3 other_conns_after
  rss3=$(rss_kib "${pids[0]}")
  other_conns_after=$(for j in $(seq 1 $(( np - 1 ))); do printf '%s ' "$(mesh_status_sum "conn$j")"; done)
  local fds3
  fds3=$(ls "/proc/${pids[0]}/fd" | wc -l)

  DATE=${DATE:-$(date -u +%Y-%m-%d)}
  mkdir -p "$RESULTS_DIR"
  local label=$n
  [ $(( n % 1000 )) -eq 0 ] && label=$(( n / 1000 ))k
  local out=$RESULTS_DIR/$DATE-scale-$label-agents-$np-proxies.md
  S_N=$n S_NP=$np S_PROCS=$procs S_CLK=$clk S_DOWN=$down S_SETTLE=$settle_s S_CPU_S=$cpu_s S_T_KILL=$t_kill S_T_EXEC=$t_exec S_T_READY=${t_ready:-0} S_DATE=$DATE \
  S_COMMAND="scripts/bench $ORIG_ARGS" S_LOAD_BEFORE="$LOAD_BEFORE" S_LOAD_AFTER="$(uptime)" S_NOFILE=$nofile \
  S_RSS0="${rss0[*]}" S_RSS1="${rss1[*]}" S_RSS3=$rss3 S_BASE_CPU="${base_cpu[*]}" S_IDLE_CPU="${idle_cpu[*]}" \
  S_UP_S=$(python3 -c "print(round($t_up - $t_start, 1))") S_FDS0=$fds0 S_FDS3=$fds3 \
  S_OTHER_BEFORE="$other_conns_before" S_OTHER_AFTER="$other_conns_after" S_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
  python3 - "$s" "$out" <<'PY'
import glob, json, os, sys
e = os.environ
s, out = sys.argv[1], sys.argv[2]
n, np_, procs, clk, down = (int(e[k]) for k in ("S_N", "S_NP", "S_PROCS", "S_CLK", "S_DOWN"))
t_kill, t_exec, t_ready = int(e["S_T_KILL"]), int(e["S_T_EXEC"]), int(e["S_T_READY"])
ints = lambda k: [int(x) for x in e[k].split()]
floats = lambda k: [float(x) for x in e[k].split()]
rss0, rss1, base_cpu, idle_cpu = ints("S_RSS0"), ints("S_RSS1"), floats("S_BASE_CPU"), floats("S_IDLE_CPU")
rss3 = int(e["S_RSS3"])

def status(f):
    rows = []
    for line in open(f):
        if not line.startswith("status"):
            continue
        p = line.split()
        kv = dict(x.split("=", 1) for x in p[2:] if "=" in x and not x.startswith("last_error"))
        rows.append((int(p[1]), {k: int(v) for k, v in kv.items() if v.isdigit()}))
    return rows

gens = [status(f) for f in sorted(glob.glob(s + "/agents-*.log"))]
# Tunnels to proxy 0 established after its restart: the rise of each generator's conn0 counter, event by event.
events = []
for rows in gens:
    base = next((r["conn0"] for t, r in reversed(rows) if t <= t_exec), rows[0][1]["conn0"])
    prev = base
    for t, r in rows:
        if t > t_exec and r["conn0"] > prev:
            events += [t] * (r["conn0"] - prev)
            prev = r["conn0"]
events.sort()
def at(frac):
    k = max(1, int(round(frac * n)))
    return None if len(events) < k else events[k - 1] - t_exec
pcts = {p: at(p / 100) for p in (1, 10, 25, 50, 75, 90, 99, 100)}
# Histogram of reconnects per 250 ms after the restart.
hist = {}
for t in events:
    b = (t - t_exec) // 250
    hist[b] = hist.get(b, 0) + 1
# Lowest sum of up1.. over the whole kill/restart window (status rows after the kill), per other proxy.
def lowest(field):
    lows = []
    for rows in gens:
        vals = [r.get(field, 0) for t, r in rows if t >= t_kill]
        lows.append(min(vals) if vals else 0)
    return sum(lows)
others_low = [lowest(f"up{j}") for j in range(1, np_)]
up0_low = lowest("up0")
samples = []
for line in open(s + "/cpu-samples.txt"):
    a, b = line.split("|")
    t, ticks, up0, conn0 = (int(x) for x in a.split())
    samples.append((t, ticks, up0, [int(x) for x in b.split()]))
peak, peak_at = 0.0, None
other_peak = [0.0] * (np_ - 1)
prev_t, prev_ticks, prev_other = t_exec, 0, None
for t, ticks, up0, other in samples:
    dt = (t - prev_t) / 1000
    if dt > 0:
        c = (ticks - prev_ticks) / clk / dt
        if c > peak:
            peak, peak_at = c, t - t_exec
        if prev_other is not None:
            for j, (x, y) in enumerate(zip(other, prev_other)):
                other_peak[j] = max(other_peak[j], (x - y) / clk / dt)
    prev_t, prev_ticks, prev_other = t, ticks, other
all_back = pcts[100]
window = [x for x in samples if all_back is None or x[0] - t_exec <= all_back]
avg = round((window[-1][1] / clk) / ((window[-1][0] - t_exec) / 1000), 2) if window else None
cpu_total = round(samples[-1][1] / clk, 2) if samples else None
res = {
    "date": e["S_DATE"], "commit": e["S_COMMIT"], "command": e["S_COMMAND"].strip(),
    "load_before": e["S_LOAD_BEFORE"].strip(), "load_after": e["S_LOAD_AFTER"].strip(),
    "agents": n, "proxies": np_, "tunnels": n * np_, "agent_processes": procs, "ulimit_n": int(e["S_NOFILE"]),
    "all_tunnels_up_s_ramped": float(e["S_UP_S"]),
}
for j in range(np_):
    res[f"proxy{j}_rss_kib_before"] = rss0[j]
    res[f"proxy{j}_rss_kib_with_tunnels"] = rss1[j]
    res[f"proxy{j}_rss_kib_per_idle_tunnel"] = round((rss1[j] - rss0[j]) / n, 2)
    res[f"proxy{j}_cpu_cores_idle_no_agents"] = base_cpu[j]
    res[f"proxy{j}_cpu_cores_idle_with_tunnels"] = idle_cpu[j]
res["proxy0_open_fds_with_tunnels"] = int(e["S_FDS0"])
res["down_s"] = down
res["restarted_ready_ms_after_exec"] = (t_ready - t_exec) if t_ready else None
for p, v in pcts.items():
    res[f"reconnect_p{p}_ms_after_restart"] = v
res["reconnect_all_ms_after_kill"] = None if all_back is None else all_back + (t_exec - t_kill)
res["reconnects_to_proxy0_after_restart"] = len(events)
res["proxy0_lowest_tunnels_while_down"] = up0_low
res["peak_restarted_proxy_cpu_cores_200ms"] = round(peak, 2)
res["peak_at_ms_after_restart"] = peak_at
res["avg_restarted_proxy_cpu_cores_until_all_back"] = avg
res["restarted_proxy_cpu_seconds_total_in_window"] = cpu_total
res["restarted_proxy_rss_kib_after_reconnect"] = rss3
res["restarted_proxy_rss_kib_per_tunnel_after_reconnect"] = round((rss3 - rss0[0]) / n, 2)
res["restarted_proxy_open_fds"] = int(e["S_FDS3"])
for j in range(1, np_):
    res[f"proxy{j}_lowest_tunnels_during_kill_restart"] = others_low[j - 1]
    res[f"proxy{j}_connects_before_kill"] = int(e["S_OTHER_BEFORE"].split()[j - 1])
    res[f"proxy{j}_connects_after_reconnect"] = int(e["S_OTHER_AFTER"].split()[j - 1])
    res[f"proxy{j}_peak_cpu_cores_200ms_during_reconnect"] = round(other_peak[j - 1], 2)
hist_rows = [f"| {b * 250}–{(b + 1) * 250} | {hist[b]} | {'#' * max(1, round(60 * hist[b] / max(hist.values())))} |" for b in sorted(hist)]
md = [f"# Scale run: {n} simulated agents, {np_} proxies (agent mesh), {res['date']}", "",
      "Produced by `scripts/bench --scale --proxies N` (scripts/lib/bench-scale-mesh.sh):", "",
      "```", res["command"], "```", "",
      f"* Commit {res['commit']}. Machine: {os.cpu_count()} CPUs shared with other work; load before `{res['load_before']}`, after `{res['load_after']}`.",
      f"* One auth server (`ferryd`, auth section; its own proxy is not listed to agents) and {np_} standalone proxies (`ferryd`, proxy section only, `tunnel_addr` set), AOT binaries from dist/, SQLite backend, all on 127.0.0.1.",
      f"* Agents: perf/Ferry.LoadGen in {procs} processes; each simulated agent runs the agent's `AgentTunnelMesh` over the {np_} proxies (as with `agent.proxies: [A, B]`): one real `AgentTunnelClient` per proxy (TLS 1.3, agent host certificate, ALPN ferry-tunnel, MuxSession, heartbeat every 5 s, reconnect after `TunnelBackoff`: full jitter under min(3 s, 200 ms × 2^n)). The simulated agents do not register databases with the auth service (see the notes).",
      f"* RSS per idle tunnel = (RSS {e['S_SETTLE']} s after every tunnel is up − RSS before any agent) / agents. Idle CPU = utime+stime over {e['S_CPU_S']} s.",
      f"* Restart: `kill -9` of proxy0, {down} s down (agents retry with backoff), then the same binary and data dir again. Reconnect times are from starting the new process; each is when a load generator's connect counter for proxy0 rose (status every 100 ms). Peak CPU = highest 200 ms sample of the new process.", "",
      "| measure | value |", "|---|---:|"]
for k, v in res.items():
    if k in ("date", "commit", "command", "load_before", "load_after"):
        continue
    md.append(f"| {k} | {v} |")
md += ["", "## Reconnect spread (tunnels back on proxy0 per 250 ms after its restart)", "", "| ms after restart | tunnels | |", "|---|---:|---|"] + hist_rows
md += ["", "```json", json.dumps(res, indent=2), "```", ""]
open(out, "w").write("\n".join(md))
print("\n".join(md))
PY
  echo "wrote $out"
}
