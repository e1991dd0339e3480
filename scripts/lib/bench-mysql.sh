# scripts/bench: MariaDB direct TLS vs Ferry (proxy.mysql_listen_addr) with sysbench.

mariadb_bin() { for b in "$@"; do for d in /usr/sbin /usr/bin; do [ -x "$d/$b" ] && { echo "$d/$b"; return; }; done; done; }

start_mariadb() {
  local d=$BENCH_TMP/mariadb t=$BENCH_TMP/srv-tls
  mkdir -p "$d/tls"
  cp "$t/server.crt" "$t/server.key" "$t/pg-client-cas.pem" "$d/tls/"
  chown -R mysql:mysql "$d"
  chmod 600 "$d/tls/server.key"
  "$(mariadb_bin mariadb-install-db mysql_install_db)" --no-defaults --datadir="$d/data" --auth-root-authentication-method=socket \
    --skip-test-db --user=mysql >"$d/install.log" 2>&1
  MARIADB_PORT=$(free_port)
  "$(mariadb_bin mariadbd mysqld)" --no-defaults --datadir="$d/data" --socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 --max-connections=500 --user=mysql \
    --ssl-ca="$d/tls/pg-client-cas.pem" --ssl-cert="$d/tls/server.crt" --ssl-key="$d/tls/server.key" --require-secure-transport=ON \
    --skip-log-bin --innodb-buffer-pool-size=256M --innodb-log-file-size=64M --innodb-flush-log-at-trx-commit=2 \
    --skip-name-resolve --log-error="$d/error.log" >"$d/stdout.log" 2>&1 &
  MARIADB_PID=$!
  remember_pid mariadbd "$MARIADB_PID"
  local i
  for i in $(seq 1 300); do
    [ -S "$d/mysqld.sock" ] && maria_admin -e "SELECT 1" >/dev/null 2>&1 && break
    kill -0 "$MARIADB_PID" 2>/dev/null || { cat "$d/error.log"; echo "error: mariadbd exited" >&2; return 1; }
    sleep 0.2
  done
  step "MariaDB $(maria_admin -N -e 'SELECT VERSION()') on $MARIADB_PORT (TLS required, users REQUIRE SUBJECT /CN=user)"
  maria_admin -e "CREATE DATABASE sbtest; CREATE USER '$BENCH_DB_USER'@'%' REQUIRE SUBJECT '/CN=$BENCH_DB_USER'; GRANT ALL PRIVILEGES ON sbtest.* TO '$BENCH_DB_USER'@'%'; FLUSH PRIVILEGES;"
}

maria_admin() { "$(mariadb_bin mariadb mysql)" --no-defaults --socket="$BENCH_TMP/mariadb/mysqld.sock" -uroot "$@"; }

# sysbench 1.0 has no certificate options: with --mysql-ssl=on it reads client-cert.pem, client-key.pem and
# cacert.pem from the working directory, so each MySQL path gets a directory.
setup_mysql_paths() {
  local p=$BENCH_TMP/pki m=$BENCH_TMP/sysbench
  mkdir -p "$m/mysql_direct_tls" "$m/mysql_ferry"
  cp "$p/client.crt" "$m/mysql_direct_tls/client-cert.pem"; cp "$p/client.key" "$m/mysql_direct_tls/client-key.pem"
  cp "$p/db/ca.crt" "$m/mysql_direct_tls/cacert.pem"
  ferryd_admin certs user bench --service my1 --protocol mysql --db-user "$BENCH_DB_USER" --db-name sbtest --ttl 8h --out-dir "$m/ferry-cert" >/dev/null
  cp "$m/ferry-cert/cert.pem" "$m/mysql_ferry/client-cert.pem"; cp "$m/ferry-cert/key.pem" "$m/mysql_ferry/client-key.pem"
  cp "$m/ferry-cert/host-ca.pem" "$m/mysql_ferry/cacert.pem"
  local i
  for i in $(seq 1 100); do
    "$(mariadb_bin mariadb mysql)" --no-defaults -h 127.0.0.1 -P "$FERRY_MYSQL_PORT" -u "$BENCH_DB_USER" --ssl \
      --ssl-ca="$m/mysql_ferry/cacert.pem" --ssl-verify-server-cert --ssl-cert="$m/mysql_ferry/client-cert.pem" \
      --ssl-key="$m/mysql_ferry/client-key.pem" --database=sbtest -e "SELECT 1" >/dev/null 2>"$m/probe.err" && return 0
    sleep 0.2
  done
  echo "warning: no MySQL query went through Ferry: $(cat "$m/probe.err")" >&2
  return 1
}

mysql_port() { case $1 in mysql_direct_tls) echo "$MARIADB_PORT" ;; mysql_ferry) echo "$FERRY_MYSQL_PORT" ;; esac; }

sysbench_cmd() {   # sysbench_cmd PATH ARGS...
  local path=$1; shift
  (cd "$BENCH_TMP/sysbench/$path" && sysbench "$@" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$(mysql_port "$path")" \
    --mysql-user="$BENCH_DB_USER" --mysql-db=sbtest --mysql-ssl=on --tables="$SYSBENCH_TABLES" --table-size="$SYSBENCH_ROWS")
}

# run_sysbench WORKLOAD PATH REP TEST THREADS
run_sysbench() {
  local workload=$1 path=$2 rep=$3 test=$4 threads=$5 out cpu0 cpu1
  cpu0=$(cpu_sample "$path")
  if ! out=$(sysbench_cmd "$path" "$test" --threads="$threads" --time="$PGBENCH_SECONDS" --histogram=on --report-interval=0 run 2>&1); then
    echo "$out" | tail -5 >&2
    echo "warning: sysbench $workload on $path failed" >&2
    record "{\"workload\":\"$workload\",\"path\":\"$path\",\"rep\":$rep,\"error\":\"sysbench failed\"}"
    return 0
  fi
  cpu1=$(cpu_sample "$path")
  local parsed
  parsed=$(echo "$out" | python3 -c '
import re, sys
text = sys.stdin.read()
tps = float(re.search(r"transactions:\s+\d+\s+\(([0-9.]+) per sec", text).group(1))
errors = int(re.search(r"ignored errors:\s+(\d+)", text).group(1))
hist = [(float(v), int(c)) for v, c in re.findall(r"^\s+([0-9.]+)\s+\|\*+\s+(\d+)\s*$", text, re.M)]
total = sum(c for _, c in hist)
def pct(q):
    if not total:
        return "null"
    acc = 0
    for v, c in hist:
        acc += c
        if acc >= q * total:
            return v
transactions = int(re.search(r"transactions:\s+(\d+)", text).group(1))
queries = int(re.search(r"queries:\s+(\d+)", text).group(1))
print(tps, pct(0.5), pct(0.99), errors, transactions, queries)
')
  local tps p50 p99 errors transactions queries cpu
  read -r tps p50 p99 errors transactions queries <<<"$parsed"
  # Per transaction, and per query (oltp_read_write runs 18 queries a transaction; point select one).
  cpu=$(cpu_json "$cpu0" "$cpu1" "$transactions" tx)$(cpu_json "$cpu0" "$cpu1" "$queries" query)
  printf '  %-22s %-16s rep %d: %10.1f tps  p50 %8s ms  p99 %8s ms%s\n' "$workload" "$path" "$rep" "$tps" "$p50" "$p99" "$(cpu_text "$cpu")"
  record "{\"workload\":\"$workload\",\"path\":\"$path\",\"rep\":$rep,\"tps\":$tps,\"latency_ms_p50\":$p50,\"latency_ms_p99\":$p99,\"failed\":$errors$cpu}"
}

mysql_point_select_t1() { run_sysbench mysql_point_select_t1 "$1" "$2" oltp_point_select 1; }
mysql_point_select_t8() { run_sysbench mysql_point_select_t8 "$1" "$2" oltp_point_select 8; }
mysql_read_write_t8() { run_sysbench mysql_read_write_t8 "$1" "$2" oltp_read_write 8; }

run_mysql_workloads() {
  setup_mysql_paths || return 1
  step "sysbench prepare: $SYSBENCH_TABLES tables x $SYSBENCH_ROWS rows"
  sysbench_cmd mysql_direct_tls oltp_read_write prepare >"$BENCH_TMP/sysbench/prepare.log" 2>&1 || { tail -5 "$BENCH_TMP/sysbench/prepare.log" >&2; return 1; }
  local w
  for w in mysql_point_select_t1 mysql_point_select_t8 mysql_read_write_t8; do
    step "$w (mysql_direct_tls mysql_ferry interleaved)"
    interleave "$w" "$REPS" mysql_direct_tls mysql_ferry
  done
}
