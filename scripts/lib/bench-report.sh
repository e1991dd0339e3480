# scripts/bench: medians, ratios and goals from $BENCH_TMP/results.jsonl -> Markdown + latest.json.

# write_report META_JSON RESULTS_JSONL MARKDOWN_OUT JSON_OUT
write_report() {
  python3 - "$@" <<'PY'
import json, statistics, sys

meta_path, results_path, md_path, json_path = sys.argv[1:5]
meta = json.load(open(meta_path))
rows = [json.loads(l) for l in open(results_path) if l.strip()]

WORKLOADS = [
    ("pgbench_select_c1", "pgbench -S, 1 client", "tps"),
    ("pgbench_select_c8", "pgbench -S, 8 clients", "tps"),
    ("pgbench_select_c64", "pgbench -S, 64 clients", "tps"),
    ("pgbench_extended_c8", "pgbench -M extended -S, 8 clients", "tps"),
    ("pgbench_connect_c8", "pgbench -C -S, 8 clients (new connection per transaction)", "tps"),
    ("copy_out", "COPY table TO STDOUT", "mb_s"),
    ("copy_in", "COPY table FROM STDIN", "mb_s"),
    ("idle_sessions", "idle sessions held open", "rss_kib_per_conn"),
    ("mysql_point_select_t1", "sysbench oltp_point_select, 1 thread", "tps"),
    ("mysql_point_select_t8", "sysbench oltp_point_select, 8 threads", "tps"),
    ("mysql_read_write_t8", "sysbench oltp_read_write, 8 threads", "tps"),
]
PATHS = ["direct", "direct_tls", "haproxy", "pgbouncer", "pgbouncer_chain", "ferry", "ferry_b", "ferry_pool", "ferry_guarded", "mysql_direct_tls", "mysql_ferry"]
METRICS = ["tps", "latency_ms_p50", "latency_ms_p99", "mb_s", "rss_kib_per_conn", "agent_rss_kib_per_conn",
           "cpu_us_per_tx", "second_cpu_us_per_tx", "cpu_us_per_query", "second_cpu_us_per_query"]

def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 4) if values else None

out = {"date": meta["date"], "command": meta["command"], "machine": meta["machine"],
       "load": meta["load"], "settings": meta["settings"], "versions": meta["versions"],
       "notes": meta.get("notes", []), "workloads": {}}

for key, title, primary in WORKLOADS:
    mine = [r for r in rows if r["workload"] == key]
    if not mine:
        continue
    paths = {}
    for p in PATHS:
        runs = [r for r in mine if r["path"] == p]
        if not runs:
            continue
        entry = {"reps": len([r for r in runs if "error" not in r])}
        errors = [r["error"] for r in runs if "error" in r]
        if errors:
            entry["errors"] = errors
        for m in METRICS:
            v = median([r.get(m) for r in runs if m in r])
            if v is not None:
                entry[m] = v
        if key == "idle_sessions":
            entry["sessions"] = median([r.get("sessions") for r in runs])
        paths[p] = entry
    is_mysql = key.startswith("mysql")
    direct = paths.get("mysql_direct_tls" if is_mysql else "direct_tls", {}).get(primary)
    haproxy = None if is_mysql else paths.get("haproxy", {}).get(primary)
    # The fair anchor of issue 25: two PgBouncers in a chain, Ferry's two-hop topology from C parts.
    chain = None if is_mysql else paths.get("pgbouncer_chain", {}).get(primary)
    for p, e in paths.items():
        v = e.get(primary)
        e["vs_direct"] = round(v / direct, 3) if v is not None and direct else None
        e["vs_haproxy"] = round(v / haproxy, 3) if v is not None and haproxy else None
        if not is_mysql:
            e["vs_chain"] = round(v / chain, 3) if v is not None and chain else None
    out["workloads"][key] = {"title": title, "primary_metric": primary, "paths": paths}

# Goals of issue 12 (measured here, never asserted in tests).
W = out["workloads"]
def get(w, p, m):
    return W.get(w, {}).get("paths", {}).get(p, {}).get(m)
goals = []
def goal(name, value, target, ok, detail):
    goals.append({"goal": name, "value": value, "target": target,
                  "met": None if value is None else ok, "detail": detail})
r = get("pgbench_select_c8", "ferry", "vs_haproxy")
goal("TPS at 8 clients >= 0.9 x HAProxy", r, 0.9, r is not None and r >= 0.9, "ferry tps / haproxy tps, pgbench -S -c 8")
def added_p50(other):
    """Ferry's added p50 at 1 client (over direct TLS) relative to OTHER's, with the detail text."""
    f, o, d = (get("pgbench_select_c1", p, "latency_ms_p50") for p in ("ferry", other, "direct_tls"))
    if None in (f, o, d):
        return None, "missing data"
    fa, oa = f - d, o - d
    return (round(fa / oa, 3) if oa > 0 else None), f"added p50 vs direct TLS: ferry {fa*1000:.1f} us, {other} {oa*1000:.1f} us"
added, detail = added_p50("haproxy")
goal("added p50 latency at 1 client <= 1.5 x HAProxy's", added, 1.5, added is not None and added <= 1.5, detail)
r = get("pgbench_connect_c8", "ferry", "vs_direct")
goal("connect rate >= 0.8 x direct TLS", r, 0.8, r is not None and r >= 0.8, "pgbench -C -S -c 8, ferry tps / direct TLS tps (every session opens its own server connection)")
r = get("pgbench_connect_c8", "ferry_pool", "vs_direct")
if r is not None:
    goal("connect rate >= 0.8 x direct TLS, with pool", r, 0.8, r >= 0.8, "the same through database pg1pool (agent.databases[].pool: server connections reused after DISCARD ALL, like PgBouncer's row)")
for w in ("copy_out", "copy_in"):
    r = get(w, "ferry", "vs_direct")
    goal(f"{w} >= 0.8 x direct TLS", r, 0.8, r is not None and r >= 0.8, "MiB/s ratio")
r = get("idle_sessions", "ferry", "rss_kib_per_conn")
split = get("idle_sessions", "ferry", "agent_rss_kib_per_conn") is not None
goal("<= 8 KiB proxy RSS per idle client connection", r, 8, r is not None and r <= 8,
     "RSS growth per idle session of the ferryd process (auth + proxy; the agent runs as its own process)" if split else
     "ferryd --all-in-one RSS growth per idle session: proxy AND agent halves (client TLS, tunnel stream, agent's TLS to PostgreSQL) in one process")
# Issue 25: <= 32 KiB per idle client session in each of ferryd and ferry-agent (read once settled, BENCH_IDLE_SETTLE).
if split:
    for key, proc in (("rss_kib_per_conn", "ferryd"), ("agent_rss_kib_per_conn", "ferry-agent")):
        r = get("idle_sessions", "ferry", key)
        goal(f"<= 32 KiB RSS per idle session in {proc}", r, 32, r is not None and r <= 32,
             f"RSS growth of the {proc} process per idle session, read once the process has settled")
# Goals of issue 25, against the PgBouncer chain.
for w, target, what in (("pgbench_select_c1", 1.0, "pgbench -S -c 1"), ("pgbench_select_c8", 1.0, "pgbench -S -c 8"),
                        ("pgbench_extended_c8", 1.0, "pgbench -M extended -S -c 8"), ("pgbench_select_c64", 1.2, "pgbench -S -c 64")):
    r = get(w, "ferry", "vs_chain")
    if r is not None or get(w, "pgbouncer_chain", "tps") is not None:
        goal(f"TPS >= {target} x pgbouncer_chain ({what})", r, target, r is not None and r >= target, f"ferry tps / pgbouncer_chain tps, {what}")
if get("pgbench_select_c1", "pgbouncer_chain", "latency_ms_p50") is not None:
    added, detail = added_p50("pgbouncer_chain")
    goal("added p50 latency at 1 client <= pgbouncer_chain's", added, 1.0, added is not None and added <= 1.0, detail)
# Issue 26: what the guardrails' accounting costs (ferry_guarded: the same path, a role with every result limit and
# an egress budget that the run never reaches).
for w, what in (("pgbench_select_c1", "pgbench -S -c 1"), ("pgbench_select_c8", "pgbench -S -c 8"), ("pgbench_extended_c8", "pgbench -M extended -S -c 8")):
    g, f = get(w, "ferry_guarded", "tps"), get(w, "ferry", "tps")
    if g is not None and f:
        W[w]["paths"]["ferry_guarded"]["vs_ferry"] = round(g / f, 3)
        goal(f"guardrails cost < 3% TPS ({what})", round(g / f, 3), 0.97, g / f >= 0.97,
             "ferry_guarded tps / ferry tps: max_query_rows, max_query_bytes, max_sessions and an egress budget set, never reached")
r = get("mysql_point_select_t8", "mysql_ferry", "vs_direct")
if r is not None:
    goal("MySQL TPS >= 0.4 x direct TLS (point select, 8 threads)", r, 0.4, r >= 0.4, "mysql_ferry tps / mysql_direct_tls tps, sysbench oltp_point_select --threads=8")
# Issue 25: what each query costs in CPU (both Ferry processes), MySQL against PostgreSQL at 8 clients.
def cpu_total(w, p, unit):
    a, b = get(w, p, f"cpu_us_per_{unit}"), get(w, p, f"second_cpu_us_per_{unit}")
    return None if a is None or b is None else a + b
my, pg = cpu_total("mysql_point_select_t8", "mysql_ferry", "query"), cpu_total("pgbench_select_c8", "ferry", "tx")
if my is not None or pg is not None:
    goal("MySQL CPU per query <= the PostgreSQL path's (ferryd + agent)", round(my / pg, 3) if my is not None and pg else None, 1.0,
         my is not None and pg is not None and my <= pg,
         f"ferryd + ferry-agent CPU: sysbench point select 8 threads {my} us/query, pgbench -S -c 8 {pg} us/tx")
out["goals"] = goals
json.dump(out, open(json_path, "w"), indent=2)

def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)

lines = []
lines.append(f"# End-to-end benchmark, {meta['date']}")
lines.append("")
lines.append("Produced by `scripts/bench` (all servers on 127.0.0.1 of one machine; the clients run on the same cores).")
lines.append("")
lines.append("```")
lines.append(meta["command"])
lines.append("```")
lines.append("")
m = meta["machine"]
lines.append(f"* Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['mem_gib']} GiB RAM, {m['kernel']}.")
lines.append(f"* Load on the machine (shared with other agents' builds/tests): before `{meta['load']['before']}`; after `{meta['load']['after']}`.")
s = meta["settings"]
lines.append(f"* Settings: {s['reps']} repetitions per path, interleaved (A B C, then C B A, …), medians reported; pgbench {s['pgbench_seconds']} s per run, scale {s['pgbench_scale']}; "
             f"COPY of {s['copy_bytes']/1048576:.0f} MiB; {s['idle_conns']} idle sessions per path (RSS read {s.get('idle_settle_s', 3)} s after they opened); PostgreSQL max_connections {s['pg_max_connections']}, fsync off.")
for n in meta.get("notes", []):
    lines.append(f"* {n}")
lines.append("")
lines.append("Paths: **direct** = plain TCP to PostgreSQL; **direct_tls** = TLS + client certificate straight to PostgreSQL; "
             "**haproxy** = HAProxy TCP mode, TLS end to end (client ↔ PostgreSQL); **pgbouncer** = PgBouncer session pooling, TLS + cert auth on both legs; "
             "**pgbouncer_chain** = two PgBouncers in a chain (client → A → B → PostgreSQL), session pooling, TLS + cert auth on all three legs: Ferry's two terminating hops built from C parts (`vs chain` is relative to it; idle RSS: A, and B in the second-hop column); "
             "**ferry** = `ferryd --all-in-one` (client TLS with a Ferry user certificate → proxy → TLS agent tunnel → agent → TLS + cert auth to PostgreSQL); "
             "**ferry_guarded** = the ferry path for a user whose role sets `max_query_rows`, `max_query_bytes`, `max_sessions` and an `egress` budget (never reached): the cost of the guardrails' accounting (`vs ferry` in the goals); "
             "**ferry_pool** (connect rate only) = the same path to a database entry with `pool` set: the agent keeps server connections of sessions that ended idle and hands them, after `DISCARD ALL`, to the next session with the same db user, db name and start-up parameters. "
             "`vs direct` is relative to direct_tls (MySQL: to MariaDB direct TLS); higher is better for TPS and MiB/s, lower for latency and RSS. "
             "**CPU µs/tx** = user + system CPU of the path's processes during the run (/proc/PID/stat, 10 ms ticks) divided by the transactions it processed: "
             "1st hop = ferryd (proxy) / HAProxy / PgBouncer / PgBouncer A, 2nd hop = ferry-agent / PgBouncer B (MySQL: per sysbench transaction; latest.json also has per query).")
lines.append("")
for key, w in out["workloads"].items():
    primary = w["primary_metric"]
    lines.append(f"## {w['title']}")
    lines.append("")
    if primary == "tps":
        lines.append("| path | TPS | p50 ms | p99 ms | vs direct | vs HAProxy | vs chain | CPU µs/tx 1st hop | CPU µs/tx 2nd hop | reps |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for p, e in w["paths"].items():
            lines.append(f"| {p} | {fmt(e.get('tps'))} | {fmt(e.get('latency_ms_p50'), 3)} | {fmt(e.get('latency_ms_p99'), 3)} | {fmt(e.get('vs_direct'), 3)} | {fmt(e.get('vs_haproxy'), 3)} | {fmt(e.get('vs_chain'), 3)} | {fmt(e.get('cpu_us_per_tx'), 0)} | {fmt(e.get('second_cpu_us_per_tx'), 0)} | {e['reps']}{' (errors: ' + '; '.join(e['errors']) + ')' if e.get('errors') else ''} |")
    elif primary == "mb_s":
        lines.append("| path | MiB/s | vs direct | vs HAProxy | vs chain | reps |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for p, e in w["paths"].items():
            lines.append(f"| {p} | {fmt(e.get('mb_s'))} | {fmt(e.get('vs_direct'), 3)} | {fmt(e.get('vs_haproxy'), 3)} | {fmt(e.get('vs_chain'), 3)} | {e['reps']} |")
    else:
        lines.append("| path | sessions | RSS KiB per idle session (proxy process) | vs HAProxy | vs chain | second hop (agent / PgBouncer B) RSS KiB per session | reps |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for p, e in w["paths"].items():
            lines.append(f"| {p} | {fmt(e.get('sessions'), 0)} | {fmt(e.get('rss_kib_per_conn'))} | {fmt(e.get('vs_haproxy'), 3)} | {fmt(e.get('vs_chain'), 3)} | {fmt(e.get('agent_rss_kib_per_conn'))} | {e['reps']} |")
    lines.append("")
lines.append("## Goals (issues 12 and 25)")
lines.append("")
lines.append("| goal | measured | target | met | how |")
lines.append("|---|---:|---:|---|---|")
for g in goals:
    met = "n/a" if g["met"] is None else ("yes" if g["met"] else "**NO**")
    lines.append(f"| {g['goal']} | {fmt(g['value'], 3)} | {g['target']} | {met} | {g['detail']} |")
lines.append("")
open(md_path, "w").write("\n".join(lines))
print("\n".join(lines))
PY
}
