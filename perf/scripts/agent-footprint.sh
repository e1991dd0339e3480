#!/usr/bin/env bash
# The agent's footprint budgets (issue 27): idle RSS ≤ 20 MB and ready in < 100 ms.
#
#   perf/scripts/agent-footprint.sh [-n RUNS] [--idle SECONDS] [DIST]
#
# Starts a real ferryd (auth + proxy) from DIST (default: dist/ of this checkout) in a temporary directory, joins a
# real ferry-agent to it with a one-time token and the pinned host CA, then starts that agent RUNS times (default 7):
# the first run joins, the others restart on the stored host certificate (what a restart in production does).
# For each run it measures
#   ready: from exec to the agent's "ferry-agent ready" line on stdout (the point its /readyz turns 200 is checked
#          too, from a second, polling clock);
#   idle RSS: VmRSS (and VmHWM) of the agent from /proc after it has been idle (connected, no sessions) for --idle
#          seconds (default 10);
# and prints each run and the medians. The agent serves one PostgreSQL database (127.0.0.1:1: nothing listens; the
# agent only probes it) so no database is needed. Exit status 1 when a median is over its budget.
set -euo pipefail
runs=7
idle=10
dist=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

echo "ferry-agent footprint: $dist/ferry-agent ($(stat -c %s "$dist/ferry-agent") bytes), $runs runs, idle ${idle}s"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
# One run: exec, time to the ready line and to /readyz 200, then idle, then VmRSS/VmHWM; SIGTERM; one line of JSON.
python3 - "$dist/ferry-agent" "$work/agent.yaml" "$diag" "$runs" "$idle" <<'PY'
import json, os, signal, statistics, subprocess, sys, threading, time, urllib.request
binary, config, diag, runs, idle = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out

results = []
for run in range(runs):
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "--config", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    r = {"run": run + 1, "joined": run == 0, "ready_ms": round(ready * 1000, 1),
         "readyz_ms": round(readyz["t"] * 1000, 1) if "t" in readyz else None,
         "idle_rss_mib": round(s["VmRSS"] / 1024, 1), "hwm_mib": round(s["VmHWM"] / 1024, 1), "threads": s["Threads"]}
    results.append(r)
    print(json.dumps(r), flush=True)

def med(key, rows):
    vals = [r[key] for r in rows if r[key] is not None]
    return round(statistics.median(vals), 1) if vals else None
restarts = results[1:] or results
summary = {"runs": runs, "median_ready_ms": med("ready_ms", results), "median_readyz_ms": med("readyz_ms", results),
           "median_ready_ms_restart": med("ready_ms", restarts), "median_idle_rss_mib": med("idle_rss_mib", results),
           "max_idle_rss_mib": max(r["idle_rss_mib"] for r in results), "first_run_ready_ms": results[0]["ready_ms"]}
print("summary: " + json.dumps(summary))
budget_rss_mb, budget_ready_ms = 20, 100
rss_mb = summary["median_idle_rss_mib"] * 1.048576
ok = rss_mb <= budget_rss_mb and summary["median_ready_ms"] < budget_ready_ms
print(f"budget: idle RSS {rss_mb:.1f} MB (≤ {budget_rss_mb} MB) {'ok' if rss_mb <= budget_rss_mb else 'OVER'}; "
      f"ready {summary['median_ready_ms']} ms (< {budget_ready_ms} ms) {'ok' if summary['median_ready_ms'] < budget_ready_ms else 'OVER'}")
sys.exit(0 if ok else 1)
PY
