# scripts/bench: a CPU profile of ferryd while the Ferry path runs its worst workload (lowest ratio to HAProxy).

# perf_section MAX_LINES PERF_REPORT_ARGS...: one section of the profile, headers and padding removed.
perf_section() {
  local max=$1; shift
  { perf report --stdio "$@" 2>/dev/null | grep -v '^#' | grep -v '^$' | sed 's/[[:space:]-]*$//' | head -"$max"; } || true
}

# profile_slowest LATEST_JSON OUT_TXT [REPORT_MD]: profiles the Ferry path's worst PostgreSQL throughput workload (lowest
# ratio to the chain when the run has it, else to HAProxy); with REPORT_MD, appends the per-process cost breakdown to it.
# BENCH_PROFILE_WORKLOAD=NAME profiles that workload instead (a mysql_* one runs on the mysql_ferry path).
profile_slowest() {
  local json=$1 out=$2 report=${3:-}
  if ! command -v perf >/dev/null 2>&1; then
    echo "warning: perf not available (apt-get install linux-perf): no profile" >&2
    return 0
  fi
  local workload=${BENCH_PROFILE_WORKLOAD:-}
  [ -n "$workload" ] || workload=$(python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
worst = None
for k, w in d["workloads"].items():
    # Connect rate is not a relay cost (and PgBouncer keeps its server connections): the steady workloads only.
    if w["primary_metric"] not in ("tps", "mb_s") or k.startswith("mysql") or "connect" in k:
        continue
    p = w["paths"].get("ferry", {})
    r = p.get("vs_chain", p.get("vs_haproxy"))
    if r is not None and (worst is None or r < worst[1]):
        worst = (k, r)
print(worst[0] if worst else "")
PY
)
  [ -n "$workload" ] || { echo "warning: no Ferry throughput result to profile" >&2; return 0; }
  step "profiling ferryd (perf record -g, cpu-clock) during $workload on the Ferry path"
  # Native AOT strips ferryd; its symbols are in ferryd.dbg from the same publish (same build id).
  local dbg
  local symbols="" bin name symtabs=""
  for bin in "$FERRYD" ${AGENT_PID:+"$FERRY_AGENT"}; do
    name=$(basename "$bin")
    dbg=$(find src/*/bin src/*/obj -name "$name.dbg" 2>/dev/null | head -1 || true)
    [ -n "$dbg" ] && symtabs="$symtabs $name=$dbg"
    if [ -z "$dbg" ]; then
      symbols="$symbols; $name: no symbol file found, frames show as addresses"
      continue
    fi
    local want have
    want=$(readelf -n "$bin" 2>/dev/null | awk '/Build ID/ {print $3}')
    have=$(readelf -n "$dbg" 2>/dev/null | awk '/Build ID/ {print $3}')
    if [ -n "$want" ] && [ "$want" = "$have" ]; then
      perf buildid-cache --add "$dbg" >/dev/null 2>&1 || true
      symbols="$symbols; $name: symbols from $dbg (build id $want)"
    else
      symbols="$symbols; $name: $dbg does not match the binary's build id, frames may show as addresses"
    fi
  done
  symbols=${symbols#; }
  local data=$BENCH_TMP/perf.data
  local pids=$FERRYD_PID
  [ -n "${AGENT_PID:-}" ] && pids="$FERRYD_PID,$AGENT_PID"
  perf record -F 499 -g -e cpu-clock -p "$pids" -o "$data" >"$BENCH_TMP/perf-record.log" 2>&1 &
  local perf_pid=$!
  sleep 1
  local util_before util_after t0 t1
  util_before=$(cat "/proc/$FERRYD_PID/stat" ${AGENT_PID:+"/proc/$AGENT_PID/stat"} | awk '{s += $14 + $15} END {print s}')
  t0=$(now_s)
  case $workload in
    copy_out) run_copy_out ferry 0 ;;
    copy_in) run_copy_in ferry 0 ;;
    mysql_*) "$workload" mysql_ferry 0 ;;
    *) "$workload" ferry 0 ;;
  esac
  t1=$(now_s)
  util_after=$(cat "/proc/$FERRYD_PID/stat" ${AGENT_PID:+"/proc/$AGENT_PID/stat"} | awk '{s += $14 + $15} END {print s}')
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  local cores
  cores=$(python3 -c "print(round(($util_after - $util_before) / $(getconf CLK_TCK) / ($t1 - $t0), 2))")
  {
    echo "# Profile of the Ferry path ($FERRY_MODE: ferryd${AGENT_PID:+ + ferry-agent}) during $workload ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo "# command: perf record -F 499 -g -e cpu-clock -p <ferryd pid>${AGENT_PID:+,<ferry-agent pid>}; perf report --no-children"
    echo "# $symbols"
    echo "# ferryd${AGENT_PID:+ + ferry-agent} used $cores cores on average during the run; machine load: $(uptime)"
    echo
    echo "## by thread (comm)"
    perf_section 20 -i "$data" --no-children --sort comm -g none
    echo
    echo "## by shared object"
    perf_section 20 -i "$data" --no-children --sort dso -g none
    echo
    echo "## top symbols, self time"
    perf_section 60 -i "$data" --no-children --sort dso,symbol -g none --percent-limit 0.4
    echo
    echo "## inclusive time (children), 3% limit"
    perf_section 120 -i "$data" --children --sort symbol -g none --percent-limit 3
    echo
    # perf does not read the AOT binaries' separate .dbg files, so the frames above show as addresses;
    # these sections resolve them against the .dbg symbol tables.
    echo "## AOT frames resolved from the .dbg symbol tables: self time, then inclusive (user-space frames)"
    # CPU per transaction of each process in the profiled run (perf's sampling included), from its results line.
    local us_per_tx
    us_per_tx=$(tail -1 "$BENCH_TMP/results.jsonl" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read() or "{}")
print(" ".join(f"{n}={d[k]}" for n, k in (("ferryd", "cpu_us_per_tx"), ("ferry-agent", "second_cpu_us_per_tx")) if k in d))' 2>/dev/null || true)
    perf script -i "$data" -F comm,pid,ip,sym,dso 2>/dev/null |
      PROFILE_PIDS="$FERRYD_PID=ferryd ${AGENT_PID:+$AGENT_PID=ferry-agent}" PROFILE_US_PER_TX="$us_per_tx" resolve_aot_frames $symtabs || true
  } >"$out"
  echo "wrote $out"
  [ -n "$report" ] && [ -f "$report" ] && append_breakdown "$out" "$report" "$json" "$workload"
  return 0
}

# resolve_aot_frames NAME=DBG...: reads `perf script -F comm,pid,ip,sym,dso` on stdin; prints the top self and
# inclusive frames with addresses inside the named binaries resolved through `nm` of their .dbg files.
resolve_aot_frames() {
  local tabs=() arg input
  input=$(mktemp)
  cat >"$input"   # the python program itself comes on python's stdin
  for arg in "$@"; do
    tabs+=("${arg%%=*}=$(mktemp)")
    nm -n --defined-only "${arg#*=}" >"${tabs[-1]#*=}" 2>/dev/null || true
  done
  python3 - "$input" "${tabs[@]}" <<'PY'
import bisect, collections, os, re, sys
tables = {}
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    rows = [l.split() for l in open(path) if len(l.split()) >= 3]
    tables[name] = ([int(r[0], 16) for r in rows], [r[2] for r in rows])
def resolve(addr, dso, sym):
    base = dso.rsplit("/", 1)[-1]
    if base in tables:
        addrs, names = tables[base]
        i = bisect.bisect_right(addrs, addr) - 1
        return names[i] if i >= 0 else hex(addr)
    return sym if sym and sym != "[unknown]" else base
self_c, incl_c, total = collections.Counter(), collections.Counter(), 0
frame = re.compile(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
# Where the time goes: each sample goes to the first category whose pattern matches a frame of its stack (audit
# first: its writes and parses are audit's cost, whichever library runs them), else to the library of its leaf.
categories = [
    # The upload's parse resumes from Kestrel's body read, under ApiResponses' frames rather than the endpoint's.
    ("audit: ingest on the auth service (parse, check, store)", re.compile(r"AuditUpload|AuditStore|IAuditStore|FilterHostEvents|ApiResponses__ReadWholeAsync|ApiResponses__DeserializeOne|AuditEventReader")),
    ("audit: fsync thread", re.compile(r"SyncerThread")),
    ("audit: shipping (spool read, upload)", re.compile(r"AuditShipper|AuditSpool__Read|UploadAudit")),
    ("audit: emit (events, serialise, spool write)", re.compile(r"SpoolingAuditSink|AuditPass|AuditSpool__Append|AuditEventFactory|StatementCapture|SessionAudit|EmitResult|AuditEventKind__NewEvent")),
    ("HTTP (Kestrel, HttpClient): requests outside the audit frames (upload reads, heartbeats)", re.compile(r"Kestrel|AspNetCore|System_Net_Http")),
    ("GC", re.compile(r"gc_heap|WKS::|SVR::|GCHeap|RhpGcAlloc")),
]
by_process, process_total = collections.defaultdict(collections.Counter), collections.Counter()
header = re.compile(r"^\s*(\S.*?)\s+(\d+)\s*$")
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = [l for l in block.split("\n") if l.strip()]
    frames, dsos = [], []
    for l in lines[1:]:
        m = frame.match(l)
        if m:
            frames.append(resolve(int(m.group(1), 16), m.group(3), m.group(2)))
            dsos.append(m.group(3).rsplit("/", 1)[-1])
    if not frames:
        continue
    total += 1
    self_c[frames[0]] += 1
    for f in set(frames):
        incl_c[f] += 1
    h = header.match(lines[0])
    pid = h.group(2) if h else "?"
    category = next((name for name, rx in categories if any(rx.search(f) for f in frames)), None)
    if category is None:
        leaf = dsos[0]
        category = ("kernel (syscalls, TCP, scheduler)" if "kernel" in leaf else
                    "OpenSSL (TLS records)" if leaf.startswith(("libssl", "libcrypto")) else
                    "libc (copies, malloc, syscall wrappers)" if leaf.startswith("libc") else
                    "relay and runtime (managed, incl. SslStream, pipes, mux, sockets)")
    by_process[pid][category] += 1
    process_total[pid] += 1
if total == 0:
    sys.exit(0)
names = dict(p.split("=", 1) for p in os.environ.get("PROFILE_PIDS", "").split() if "=" in p)
us_per_tx = dict(p.split("=", 1) for p in os.environ.get("PROFILE_US_PER_TX", "").split() if "=" in p)
print("### where the time goes, per process (share of its samples; x its CPU us per transaction in this run)")
print("Stacks break inside libc and OpenSSL (no frame pointers), so a syscall made there shows as kernel, not")
print("under the managed caller; audit categories count what runs under audit frames, kernel time included.")
for pid, n in process_total.most_common():
    name = names.get(pid, pid)
    us = us_per_tx.get(name)
    print()
    print(f"{name} (pid {pid}), {n} samples" + (f", {us} us CPU per transaction" if us else ""))
    for category, c in by_process[pid].most_common():
        share = c / n
        print(f"  {100 * share:5.1f}%" + (f"  {share * float(us):6.1f} us/tx" if us else "") + f"  {category}")
print()
kernel = re.compile(r"^(_|tcp|ip|do_|entry|x64|sock|net|skb|ksys|schedule|finish_task|handle_|process_backlog|exit_to|irq|ThreadEntryPoint|\[)")
print("### self time, top 30")
for name, n in self_c.most_common(30):
    print(f"{100 * n / total:6.2f}%  {name[:160]}")
print()
print("### inclusive, user-space frames at 2% or more")
for name, n in incl_c.most_common(400):
    if 100 * n / total < 2:
        break
    if not kernel.match(name):
        print(f"{100 * n / total:6.2f}%  {name[:160]}")
PY
  for arg in "${tabs[@]}"; do rm -f "${arg#*=}"; done
  rm -f "$input"
}

# append_breakdown PROFILE_TXT REPORT_MD LATEST_JSON WORKLOAD: the profile's "where the time goes" section, under the
# report's goals, next to the chain's CPU per transaction per hop in the same workload (what each cost is up against).
append_breakdown() {
  local profile=$1 report=$2 json=$3 workload=$4
  python3 - "$profile" "$report" "$json" "$workload" <<'PY'
import json, sys
profile, report, latest, workload = sys.argv[1:]
text = open(profile).read()
start = text.find("### where the time goes")
if start < 0:
    sys.exit(0)
end = text.find("\n###", start + 1)
section = text[start:end if end > 0 else len(text)].strip().split("\n")[3:]   # the body, without its caveat lines
while section and not section[0].strip():
    section.pop(0)
chain = json.load(open(latest))["workloads"].get(workload, {}).get("paths", {}).get("pgbouncer_chain", {})
hops = [chain.get(k) for k in ("cpu_us_per_tx", "second_cpu_us_per_tx")]
lines = ["", f"## Where Ferry's CPU goes ({workload}, profiled after the runs)", "",
         "Each process's samples by what ran them (perf record -g; audit categories first, then the leaf's library); "
         "`us/tx` = share x the process's CPU per transaction in the profiled run. Stacks break inside libc and OpenSSL, so "
         "a syscall made there counts as kernel. Full profile: `" + profile.rsplit("/", 1)[-1] + "`."]
if all(h is not None for h in hops):
    lines.append(f"The PgBouncer chain in the same workload: {hops[0]} us/tx in PgBouncer A, {hops[1]} in B (TLS on all legs, no audit).")
lines += ["", "```"] + section + ["```", ""]
with open(report, "a") as f:
    f.write("\n".join(lines))
PY
}
