#!/usr/bin/env bash
# The agent's footprint budgets (issue 27): idle RSS ≤ 20 MB and ready in < 100 ms.
#
#   perf/scripts/agent-footprint.sh [-n RUNS] [--idle SECONDS] [--agent LABEL:PATH[:VAR=VALUE,...]]... [DIST]
#
# Starts a real ferryd (auth + proxy) from DIST (default: dist/ of this checkout) in a temporary directory, joins a
# real ferry-agent to it with a one-time token and the pinned host CA, then starts that agent RUNS times (default 7):
# the first run joins, the others restart on the stored host certificate (what a restart in production does).
# For each run it measures
#   ready: from exec to the agent's "ferry-agent ready" line on stdout (the point its /readyz turns 200 is checked
#          too, from a second, polling clock);
#   idle RSS: VmRSS (and VmHWM) of the agent from /proc after it has been idle (connected, no sessions) for --idle
#          seconds (default 10; keep it above 3: the agent gives back its start-up pages 2 s after its first
#          tunnel is up, src/Ferry.AgentHost/StartupPages.cs);
# and prints each run and the medians. The agent serves one PostgreSQL database (127.0.0.1:1: nothing listens; the
# agent only probes it) so no database is needed. Exit status 1 when a median is over its budget.
# --agent (repeatable) compares agent binaries, or one binary under environment variables, interleaved: each run
# starts every variant in turn against the same ferryd, so a busy machine weighs on all of them alike; the summary
# and the budget check are per variant (exit 1 when the last variant is over a budget). Without --agent the one
# variant is DIST/ferry-agent.
set -euo pipefail
runs=7
idle=10
dist=
agents=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --agent) agents+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) dist=$1; shift ;;
  esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dist=$(cd "${dist:-$ROOT/dist}" && pwd)
for b in ferryd ferry-agent; do [ -x "$dist/$b" ] || { echo "error: $dist/$b is missing: run scripts/build" >&2; exit 1; }; done

work=$(mktemp -d /tmp/ferry-footprint.XXXXXX)
ferryd_pid=
cleanup() {
  [ -n "$ferryd_pid" ] && kill "$ferryd_pid" 2>/dev/null && wait "$ferryd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
auth=$(port); proxy=$(port); mysql=$(port); diag=$(port)
cat >"$work/ferry.yaml" <<EOF
cluster_name: footprint
data_dir: $work/data
auth:
  listen_addr: 127.0.0.1:$auth
proxy:
  listen_addr: 127.0.0.1:$proxy
  public_addrs: [127.0.0.1:$proxy]
  mysql_listen_addr: 127.0.0.1:$mysql
EOF
"$dist/ferryd" --config "$work/ferry.yaml" >"$work/ferryd.log" 2>&1 &
ferryd_pid=$!
for _ in $(seq 1 600); do grep -q "ferryd ready" "$work/ferryd.log" && break; kill -0 $ferryd_pid || { cat "$work/ferryd.log"; exit 1; }; sleep 0.1; done
grep -q "ferryd ready" "$work/ferryd.log" || { cat "$work/ferryd.log"; exit 1; }
token=$("$dist/ferryd" admin tokens add --role agent --ttl 10m --data-dir "$work/data" | sed -n 's/.*token: \([^ ]*\).*/\1/p')
pin=$("$dist/ferryd" admin ca export --type host --fingerprint --data-dir "$work/data" | head -1)
cat >"$work/agent.yaml" <<EOF
cluster_name: footprint
data_dir: $work/agent-data
diag_addr: 127.0.0.1:$diag
agent:
  proxies: [127.0.0.1:$proxy]
  join_token: $token
  ca_pin: $pin
  host_id: footprint-agent
  databases:
    - name: pgidle
      protocol: postgres
      uri: 127.0.0.1:1
      labels: { env: dev }
EOF

[ ${#agents[@]} -gt 0 ] || agents=("ferry-agent:$dist/ferry-agent")
for a in "${agents[@]}"; do
  IFS=: read -r label path _ <<<"$a"
  [ -x "$path" ] || { echo "error: --agent $a: $path is not an executable" >&2; exit 2; }
  echo "ferry-agent footprint: $label = $path ($(stat -c %s "$path") bytes)${a#"$label:$path"}"
done
echo "$runs runs, idle ${idle}s"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
# One run: exec, time to the ready line and to /readyz 200, then idle, then VmRSS/VmHWM; SIGTERM; one line of JSON.
python3 - "$work/agent.yaml" "$diag" "$runs" "$idle" "${agents[@]}" <<'PY'
import json, os, signal, statistics, subprocess, sys, threading, time, urllib.request
config, diag, runs, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
variants = []
for spec in sys.argv[5:]:
    label, path, *rest = spec.split(":", 2)
    env = dict(os.environ)
    for pair in (rest[0].split(",") if rest and rest[0] else []):
        k, _, v = pair.partition("=")
        env[k] = v
    variants.append((label, path, env))

def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out

def one(run, label, binary, env):
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "--config", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    readyz = {}
    def poll():
        for _ in range(20000):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{diag}/readyz", timeout=1).status == 200:
                    readyz["t"] = time.monotonic() - t0
                    return
            except Exception:
                pass
            if p.poll() is not None:
                return
            time.sleep(0.002)
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    ready = None
    lines = []
    for line in p.stdout:
        lines.append(line)
        if "ferry-agent ready" in line:
            ready = time.monotonic() - t0
            break
    if ready is None:
        sys.exit("ferry-agent did not get ready:\n" + "".join(lines))
    # Keep draining its output so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    poller.join(30)
    time.sleep(idle)
    s = status(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    return {"variant": label, "run": run + 1, "joined": run == 0 and label == variants[0][0], "ready_ms": round(ready * 1000, 1),
            "readyz_ms": round(readyz["t"] * 1000, 1) if "t" in readyz else None,
            "idle_rss_mib": round(s["VmRSS"] / 1024, 1), "hwm_mib": round(s["VmHWM"] / 1024, 1), "threads": s["Threads"],
            "load1": float(open("/proc/loadavg").read().split()[0])}

by_variant = {label: [] for label, _, _ in variants}
for run in range(runs):
    for label, binary, env in variants:
        r = one(run, label, binary, env)
        by_variant[label].append(r)
        print(json.dumps(r), flush=True)

def med(key, rows):
    vals = [r[key] for r in rows if r[key] is not None]
    return round(statistics.median(vals), 1) if vals else None

budget_rss_mb, budget_ready_ms = 20, 100
ok = True
for label, results in by_variant.items():
    restarts = [r for r in results if not r["joined"]] or results
    summary = {"variant": label, "runs": len(results), "median_ready_ms": med("ready_ms", results), "median_readyz_ms": med("readyz_ms", results),
               "median_ready_ms_restart": med("ready_ms", restarts), "min_ready_ms": min(r["ready_ms"] for r in results),
               "max_ready_ms": max(r["ready_ms"] for r in results), "median_idle_rss_mib": med("idle_rss_mib", results),
               "min_idle_rss_mib": min(r["idle_rss_mib"] for r in results), "max_idle_rss_mib": max(r["idle_rss_mib"] for r in results),
               "median_threads": med("threads", results), "median_load1": med("load1", results)}
    print("summary: " + json.dumps(summary))
    rss_mb = summary["median_idle_rss_mib"] * 1.048576
    ready_ms = summary["median_ready_ms"]
    ok = rss_mb <= budget_rss_mb and ready_ms < budget_ready_ms
    print(f"budget {label}: idle RSS {rss_mb:.1f} MB (≤ {budget_rss_mb} MB) {'ok' if rss_mb <= budget_rss_mb else 'OVER'}; "
          f"ready {ready_ms} ms (< {budget_ready_ms} ms) {'ok' if ready_ms < budget_ready_ms else 'OVER'}")
sys.exit(0 if ok else 1)
PY
