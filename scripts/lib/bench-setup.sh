# scripts/bench: starting and stopping the servers under test, all on 127.0.0.1 in $BENCH_TMP.
# Everything started here is recorded in $BENCH_TMP/pids and stopped by bench_cleanup (trap on EXIT).

PG_BIN=${FERRY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

remember_pid() { echo "$1 $2" >>"$BENCH_TMP/pids"; }   # remember_pid NAME PID

bench_cleanup() {
  local code=$?
  set +e
  if [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ]; then
    # Stop in reverse start order, each by its own pid.
    if [ -f "$BENCH_TMP/pids" ]; then
      tac "$BENCH_TMP/pids" | while read -r name pid; do
        if kill -0 "$pid" 2>/dev/null; then
          kill -TERM "$pid" 2>/dev/null
          for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
          kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
      done
    fi
    if [ -f "$BENCH_TMP/pg/data/postmaster.pid" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$BENCH_TMP/pg/data" -m fast -w stop >/dev/null 2>&1
    fi
    if [ -n "${BENCH_KEEP_TMP:-}" ]; then
      echo "kept $BENCH_TMP (BENCH_KEEP_TMP set)"
    else
      rm -rf "$BENCH_TMP"
    fi
  fi
  exit $code
}

ferryd_admin() { "$FERRYD" admin --data-dir "$BENCH_TMP/ferry/data" "$@"; }

# PKI: Ferry's db-client CA + a server certificate from `ferryd admin db-cert` for PostgreSQL/MariaDB/PgBouncer;
# a separate throwaway CA (openssl) for the client certificate the non-Ferry paths log in with (CN=bench).
setup_pki() {
  step "PKI: Ferry CAs, database server certificate, direct-path client certificate"
  local p=$BENCH_TMP/pki
  mkdir -p "$p" "$BENCH_TMP/ferry/data"
  ferryd_admin ca export --type db-client >"$p/ferry-db-client-ca.pem"
  ferryd_admin db-cert --host 127.0.0.1,localhost --out-dir "$p/db" --ttl 1d >/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench-direct-ca" \
    -keyout "$p/direct-ca.key" -out "$p/direct-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$BENCH_DB_USER" \
    -keyout "$p/client.key" -out "$p/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$p/client.ext"
  openssl x509 -req -in "$p/client.csr" -CA "$p/direct-ca.pem" -CAkey "$p/direct-ca.key" -CAcreateserial -days 2 \
    -extfile "$p/client.ext" -out "$p/client.crt" 2>/dev/null
  # pgbouncer_chain's middle leg: PgBouncer A presents a client certificate of its own CA to PgBouncer B, which
  # trusts only that CA (not the end client's), so the middle hop authenticates with a certificate too.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench-chain-ca" \
    -keyout "$p/chain-ca.key" -out "$p/chain-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$BENCH_DB_USER" \
    -keyout "$p/chain-client.key" -out "$p/chain-client.csr" 2>/dev/null
  openssl x509 -req -in "$p/chain-client.csr" -CA "$p/chain-ca.pem" -CAkey "$p/chain-ca.key" -CAcreateserial -days 2 \
    -extfile "$p/client.ext" -out "$p/chain-client.crt" 2>/dev/null
  chmod 600 "$p/client.key" "$p/db/server.key" "$p/chain-client.key"
  cat "$p/ferry-db-client-ca.pem" "$p/direct-ca.pem" >"$p/pg-client-cas.pem"
  # Copies owned by the postgres user for the servers (PostgreSQL, PgBouncer) that run as postgres.
  mkdir -p "$BENCH_TMP/srv-tls"
  cp "$p/db/server.crt" "$p/db/server.key" "$p/db/ca.crt" "$p/pg-client-cas.pem" "$p/direct-ca.pem" "$p/client.crt" "$p/client.key" \
    "$p/chain-ca.pem" "$p/chain-client.crt" "$p/chain-client.key" "$BENCH_TMP/srv-tls/"
  chown -R postgres:postgres "$BENCH_TMP/srv-tls"
  chmod 600 "$BENCH_TMP/srv-tls/server.key" "$BENCH_TMP/srv-tls/client.key" "$BENCH_TMP/srv-tls/chain-client.key"
}

start_postgres() {
  step "PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')), max_connections=$PG_MAX_CONN"
  local d=$BENCH_TMP/pg t=$BENCH_TMP/srv-tls
  mkdir -p "$d/run"
  chown -R postgres:postgres "$d"
  as_postgres "$PG_BIN/initdb" -D "$d/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$d/initdb.log" 2>&1
  PG_PORT=$(free_port)
  cat >>"$d/data/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$d/run'
max_connections = $PG_MAX_CONN
ssl = on
ssl_cert_file = '$t/server.crt'
ssl_key_file = '$t/server.key'
ssl_ca_file = '$t/pg-client-cas.pem'
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  cat >"$d/data/pg_hba.conf" <<EOF
local all all trust
hostnossl all all 127.0.0.1/32 trust
hostssl all all 127.0.0.1/32 cert
EOF
  as_postgres "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start >/dev/null
  PG_PID=$(head -1 "$d/data/postmaster.pid")
  pg_admin -c "CREATE ROLE $BENCH_DB_USER LOGIN" -c "CREATE DATABASE $BENCH_DB_NAME OWNER $BENCH_DB_USER"
}

pg_admin() { "$PG_BIN/psql" -h "$BENCH_TMP/pg/run" -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null; }
pg_as_bench() { "$PG_BIN/psql" -h "$BENCH_TMP/pg/run" -p "$PG_PORT" -U "$BENCH_DB_USER" -d "$BENCH_DB_NAME" -X -q -v ON_ERROR_STOP=1 "$@"; }

load_data() {
  step "pgbench -i -s $PGBENCH_SCALE; COPY source table of ~$COPY_MB MB"
  "$PG_BIN/pgbench" -i -q -s "$PGBENCH_SCALE" -h "$BENCH_TMP/pg/run" -p "$PG_PORT" -U "$BENCH_DB_USER" "$BENCH_DB_NAME" >"$BENCH_TMP/pgbench-init.log" 2>&1
  # ~108 bytes of COPY text per row.
  local rows=$(( COPY_MB * 1024 * 1024 / 108 ))
  pg_as_bench -c "CREATE TABLE copy_src AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a, md5((g * 13)::text) AS b FROM generate_series(1, $rows) g" \
    -c "CREATE UNLOGGED TABLE copy_dst (LIKE copy_src)" -c "VACUUM ANALYZE copy_src" -c "VACUUM ANALYZE pgbench_accounts"
  pg_as_bench -c "COPY copy_src TO STDOUT" >"$BENCH_TMP/copy.dat"
  COPY_BYTES=$(stat -c %s "$BENCH_TMP/copy.dat")
}

start_haproxy() {
  HAPROXY_PORT=$(free_port)
  local c=$BENCH_TMP/haproxy.cfg
  cat >"$c" <<EOF
global
  maxconn $(( IDLE_CONNS * 2 + 1000 ))
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend pg
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend pg
backend pg
  server pg1 127.0.0.1:$PG_PORT
EOF
  step "HAProxy $(haproxy -v | head -1 | awk '{print $3}') (TCP mode, TLS end to end client <-> PostgreSQL) on $HAPROXY_PORT"
  haproxy -f "$c" -db >"$BENCH_TMP/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  remember_pid haproxy "$HAPROXY_PID"
  wait_tcp "$HAPROXY_PORT" haproxy
}

start_pgbouncer() {
  PGBOUNCER_PORT=$(free_port)
  local t=$BENCH_TMP/srv-tls
  pgbouncer_ini "$BENCH_TMP/pgbouncer" "$PGBOUNCER_PORT" "$PG_PORT" "$t/direct-ca.pem" "$t/client.crt" "$t/client.key"
  step "PgBouncer $(pgbouncer --version | head -1 | awk '{print $2}') (session pooling, TLS + cert auth on both legs) on $PGBOUNCER_PORT"
  run_pgbouncer "$BENCH_TMP/pgbouncer" pgbouncer
  PGBOUNCER_PID=$LAST_PGBOUNCER_PID
  wait_tcp "$PGBOUNCER_PORT" pgbouncer
}

start_ferry() {
  FERRY_PORT=$(free_port)
  FERRY_AUTH_PORT=$(free_port)
  FERRY_MYSQL_PORT=$(free_port)
  local f=$BENCH_TMP/ferry
  cat >"$f/role.yaml" <<EOF
kind: role
name: bench
options: { max_session_ttl: 8h }
allow:
  db_labels: { env: [bench] }
  db_names: [$BENCH_DB_NAME, sbtest]
  db_users: [$BENCH_DB_USER]
EOF
  ferryd_admin roles apply -f "$f/role.yaml" >/dev/null
  ferryd_admin users add bench --roles bench --format json >"$f/user.json"
  # ferry_guarded: the same database for a user whose role sets every result guardrail (row and byte limits per
  # statement, a shared egress budget, a session cap), sized so that the bench never reaches them: what the
  # accounting and the budget reports cost per query (issue 26 target: < 3% TPS against the ferry path).
  cat >"$f/role-guarded.yaml" <<EOF
kind: role
name: bench_guarded
options:
  max_session_ttl: 8h
  max_query_rows: 1000000000
  max_query_bytes: 1TB
  max_sessions: 100000
  egress: { rows: 1000000000000, bytes: 1000TB, per: 24h }
allow:
  db_labels: { env: [bench] }
  db_names: [$BENCH_DB_NAME, sbtest]
  db_users: [$BENCH_DB_USER]
EOF
  ferryd_admin roles apply -f "$f/role-guarded.yaml" >/dev/null
  ferryd_admin users add benchg --roles bench_guarded --format json >"$f/user-guarded.json"
  ferryd_admin certs user benchg --service pg1 --protocol postgres --db-user "$BENCH_DB_USER" --db-name "$BENCH_DB_NAME" \
    --ttl 8h --out-dir "$f/client-guarded" >/dev/null
  ferryd_admin certs user bench --service pg1 --protocol postgres --db-user "$BENCH_DB_USER" --db-name "$BENCH_DB_NAME" \
    --ttl 8h --out-dir "$f/client" >/dev/null
  # pg1pool: the same database with server-connection reuse (agent.databases[].pool), for the ferry_pool path.
  ferryd_admin certs user bench --service pg1pool --protocol postgres --db-user "$BENCH_DB_USER" --db-name "$BENCH_DB_NAME" \
    --ttl 8h --out-dir "$f/client-pool" >/dev/null
  cat >"$f/ferry.yaml" <<EOF
cluster_name: bench
data_dir: $f/data
auth:
  listen_addr: 127.0.0.1:$FERRY_AUTH_PORT
proxy:
  listen_addr: 127.0.0.1:$FERRY_PORT
  mysql_listen_addr: 127.0.0.1:$FERRY_MYSQL_PORT
  public_addrs: [127.0.0.1:$FERRY_PORT]
  # Every bench client (and the agent's tunnels) comes from 127.0.0.1: the per-source cap would refuse the
  # 1,000 idle sessions of a full run.
  max_connections_per_source: 20000
agent:
  enabled: $( [ "$FERRY_MODE" = split ] && echo false || echo true )
  databases:
    - name: pg1
      protocol: postgres
      uri: 127.0.0.1:$PG_PORT
      labels: { env: bench }
    - name: pg1pool
      protocol: postgres
      uri: 127.0.0.1:$PG_PORT
      labels: { env: bench }
      pool: { max_idle: 16 }
EOF
  if [ -n "${MARIADB_PORT:-}" ]; then
    cat >>"$f/ferry.yaml" <<EOF
    - name: my1
      protocol: mysql
      uri: 127.0.0.1:$MARIADB_PORT
      labels: { env: bench }
EOF
  fi
  # ferry_b (--ab-dist / --ab-env): a second ferryd + ferry-agent pair on a copy of this data dir (same CAs, users and
  # certificates), so one run interleaves two builds or two runtime settings on the same machine state.
  [ -n "$FERRY_B" ] && cp -a "$f/data" "$BENCH_TMP/ferry-b-data"
  run_ferryd
  [ -z "$FERRY_B" ] || start_ferry_b
}

# start_ferry_b: the B pair of an A/B run (split mode): ferryd and ferry-agent from $FERRY_B_DIST with $FERRY_B_ENV.
start_ferry_b() {
  local f=$BENCH_TMP/ferry b=$BENCH_TMP/ferry-b token pin i
  mkdir -p "$b"
  mv "$BENCH_TMP/ferry-b-data" "$b/data"
  FERRY_B_PORT=$(free_port)
  sed -e "s|^data_dir: .*|data_dir: $b/data|" -e "s|127.0.0.1:$FERRY_AUTH_PORT|127.0.0.1:$(free_port)|" \
    -e "s|127.0.0.1:$FERRY_PORT|127.0.0.1:$FERRY_B_PORT|g" -e "/mysql_listen_addr/d" "$f/ferry.yaml" >"$b/ferry.yaml"
  step "Ferry B: $FERRY_B_DIST/ferryd + ferry-agent on $FERRY_B_PORT${FERRY_B_ENV:+ with $FERRY_B_ENV}"
  env ${FERRY_B_ENV:-} "$FERRY_B_DIST/ferryd" --config "$b/ferry.yaml" --all-in-one >"$b/ferryd.log" 2>&1 &
  FERRYD_B_PID=$!
  remember_pid ferryd-b "$FERRYD_B_PID"
  for i in $(seq 1 300); do
    grep -q "ferryd ready" "$b/ferryd.log" && break
    kill -0 "$FERRYD_B_PID" 2>/dev/null || { cat "$b/ferryd.log"; echo "error: ferryd B exited" >&2; exit 1; }
    sleep 0.1
  done
  token=$("$FERRYD" admin --data-dir "$b/data" tokens add --role agent --ttl 10m | sed -n 's/^token: \([^ ]*\).*/\1/p')
  pin=$("$FERRYD" admin --data-dir "$b/data" ca export --type host --fingerprint | head -1)
  sed -e "s|^data_dir: .*|data_dir: $b/agent-data|" -e "s|127.0.0.1:$FERRY_PORT|127.0.0.1:$FERRY_B_PORT|" \
    -e "s|^  join_token: .*|  join_token: $token|" -e "s|^  ca_pin: .*|  ca_pin: $pin|" "$f/agent.yaml" >"$b/agent.yaml"
  env ${FERRY_B_ENV:-} "$FERRY_B_DIST/ferry-agent" --config "$b/agent.yaml" >"$b/ferry-agent.log" 2>&1 &
  AGENT_B_PID=$!
  remember_pid ferry-agent-b "$AGENT_B_PID"
  for i in $(seq 1 150); do
    "$PG_BIN/psql" "$(conninfo ferry_b)" -X -q -t -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$b/ferryd.log" "$b/ferry-agent.log"
  echo "error: no query went through Ferry B" >&2
  exit 1
}

run_ferryd() {
  local f=$BENCH_TMP/ferry
  if [ "$FERRY_MODE" = split ]; then
    step "Ferry: ferryd --all-in-one with agent.enabled false (auth + proxy) on $FERRY_PORT"
  else
    step "Ferry: ferryd --all-in-one ($FERRYD) proxy on $FERRY_PORT, agent in the same process: tunnel over TLS, agent -> PostgreSQL over TLS (verify-full, cert auth)"
  fi
  # BENCH_FERRYD_ENV="NAME=value ..." runs ferryd with extra environment (runtime experiments; recorded in the report).
  env ${BENCH_FERRYD_ENV:-} "$FERRYD" --config "$f/ferry.yaml" --all-in-one >"$f/ferryd.log" 2>&1 &
  FERRYD_PID=$!
  remember_pid ferryd "$FERRYD_PID"
  local i
  for i in $(seq 1 300); do
    grep -q "ferryd ready" "$f/ferryd.log" && break
    kill -0 "$FERRYD_PID" 2>/dev/null || { cat "$f/ferryd.log"; echo "error: ferryd exited" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "ferryd ready" "$f/ferryd.log" || { cat "$f/ferryd.log"; echo "error: ferryd not ready" >&2; exit 1; }
  if [ "$FERRY_MODE" = split ] && [ -z "${AGENT_PID:-}" ]; then
    start_ferry_agent
  fi
  # The agent's tunnel comes up asynchronously: wait until a query goes through.
  for i in $(seq 1 150); do
    "$PG_BIN/psql" "$(conninfo ferry)" -X -q -t -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  "$PG_BIN/psql" "$(conninfo ferry)" -X -c "SELECT 1"
  cat "$f/ferryd.log"
  echo "error: no query went through Ferry" >&2
  exit 1
}

# Split mode: the agent is the standalone AOT ferry-agent in its own process and data dir, joining through the
# proxy's port with a one-time token and the pinned host CA (as an agent on a database host runs).
start_ferry_agent() {
  local f=$BENCH_TMP/ferry token pin
  token=$(ferryd_admin tokens add --role agent --ttl 10m | sed -n 's/^token: \([^ ]*\).*/\1/p')
  pin=$(ferryd_admin ca export --type host --fingerprint | head -1)
  {
    echo "cluster_name: bench"
    echo "data_dir: $f/agent-data"
    echo "agent:"
    echo "  proxies: [127.0.0.1:$FERRY_PORT]"
    echo "  join_token: $token"
    echo "  ca_pin: $pin"
    echo "  host_id: bench-agent"
    sed -n '/^  databases:/,$p' "$f/ferry.yaml"
  } >"$f/agent.yaml"
  step "Ferry: standalone ferry-agent ($FERRY_AGENT) joining the proxy on $FERRY_PORT"
  env ${BENCH_FERRYD_ENV:-} "$FERRY_AGENT" --config "$f/agent.yaml" >"$f/ferry-agent.log" 2>&1 &
  AGENT_PID=$!
  remember_pid ferry-agent "$AGENT_PID"
  local i
  for i in $(seq 1 300); do
    grep -q "ferry-agent ready" "$f/ferry-agent.log" && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$f/ferry-agent.log"
  echo "error: ferry-agent did not start" >&2
  exit 1
}

wait_tcp() {
  local port=$1 name=$2 i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "error: $name did not listen on $port" >&2
  exit 1
}

# pgbouncer_ini DIR PORT SERVER_PORT CLIENT_CA SERVER_CERT SERVER_KEY: one PgBouncer in session mode that accepts TLS
# with certificate authentication (clients whose certificate CLIENT_CA signed, CN = the user) and connects to
# 127.0.0.1:SERVER_PORT over TLS (verify-full against the database CA) presenting SERVER_CERT.
pgbouncer_ini() {
  local d=$1 port=$2 server_port=$3 client_ca=$4 cert=$5 key=$6 t=$BENCH_TMP/srv-tls
  mkdir -p "$d"
  echo "\"$BENCH_DB_USER\" \"\"" >"$d/userlist.txt"
  cat >"$d/pgbouncer.ini" <<EOF
[databases]
$BENCH_DB_NAME = host=127.0.0.1 port=$server_port dbname=$BENCH_DB_NAME
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pool_mode = session
max_client_conn = $((IDLE_CONNS + 200))
default_pool_size = $((IDLE_CONNS + 100))
auth_type = cert
auth_file = $d/userlist.txt
client_tls_sslmode = verify-full
client_tls_ca_file = $client_ca
client_tls_cert_file = $t/server.crt
client_tls_key_file = $t/server.key
server_tls_sslmode = verify-full
server_tls_ca_file = $t/ca.crt
server_tls_cert_file = $cert
server_tls_key_file = $key
ignore_startup_parameters = extra_float_digits
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
  chown -R postgres:postgres "$d"
}

# run_pgbouncer DIR NAME: starts the PgBouncer of DIR as postgres, remembers it; sets LAST_PGBOUNCER_PID.
run_pgbouncer() {
  # exec: the remembered pid is pgbouncer itself, not a subshell around it.
  (exec setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$1/pgbouncer.ini" >"$1/stdout.log" 2>&1) &
  LAST_PGBOUNCER_PID=$!
  remember_pid "$2" "$LAST_PGBOUNCER_PID"
}

# pgbouncer_chain: client -> PgBouncer A -> PgBouncer B -> PostgreSQL, the fastest C parts in Ferry's topology (two
# terminating hops). Every leg is TLS with certificate authentication: A trusts the end client's CA (direct-ca) and
# presents a chain-ca certificate to B; B trusts only chain-ca and presents the direct-ca client certificate that
# PostgreSQL accepts; A and B verify their server's certificate (verify-full). Session pooling in both.
start_pgbouncer_chain() {
  PGB_CHAIN_A_PORT=$(free_port)
  PGB_CHAIN_B_PORT=$(free_port)
  local t=$BENCH_TMP/srv-tls
  pgbouncer_ini "$BENCH_TMP/pgbouncer-chain-b" "$PGB_CHAIN_B_PORT" "$PG_PORT" "$t/chain-ca.pem" "$t/client.crt" "$t/client.key"
  pgbouncer_ini "$BENCH_TMP/pgbouncer-chain-a" "$PGB_CHAIN_A_PORT" "$PGB_CHAIN_B_PORT" "$t/direct-ca.pem" "$t/chain-client.crt" "$t/chain-client.key"
  step "PgBouncer chain (session pooling, TLS + cert auth on all three legs): A on $PGB_CHAIN_A_PORT -> B on $PGB_CHAIN_B_PORT -> PostgreSQL"
  run_pgbouncer "$BENCH_TMP/pgbouncer-chain-b" pgbouncer-chain-b
  PGB_CHAIN_B_PID=$LAST_PGBOUNCER_PID
  wait_tcp "$PGB_CHAIN_B_PORT" pgbouncer-chain-b
  run_pgbouncer "$BENCH_TMP/pgbouncer-chain-a" pgbouncer-chain-a
  PGB_CHAIN_A_PID=$LAST_PGBOUNCER_PID
  wait_tcp "$PGB_CHAIN_A_PORT" pgbouncer-chain-a
  # One query through the chain before measuring: a broken leg fails here, with both logs, not as empty rows.
  if ! "$PG_BIN/psql" "$(conninfo pgbouncer_chain)" -X -q -t -A -c "SELECT 1" >/dev/null 2>"$BENCH_TMP/pgbouncer-chain-check.log"; then
    echo "error: a query through the PgBouncer chain failed: $(cat "$BENCH_TMP/pgbouncer-chain-check.log")" >&2
    tail -5 "$BENCH_TMP/pgbouncer-chain-a/pgbouncer.log" "$BENCH_TMP/pgbouncer-chain-b/pgbouncer.log" >&2
    exit 1
  fi
}

# second_pid PATH: the second process of a two-hop path (Ferry's agent, PgBouncer B of the chain), if any.
second_pid() {
  case $1 in
    ferry|ferry_guarded|ferry_pool|mysql_ferry) echo "${AGENT_PID:-}" ;;
    ferry_b) echo "${AGENT_B_PID:-}" ;;
    pgbouncer_chain) echo "${PGB_CHAIN_B_PID:-}" ;;
    *) echo "" ;;
  esac
}

# conninfo PATH: the libpq connection string of one path (all log in as $BENCH_DB_USER to $BENCH_DB_NAME).
conninfo() {
  local p=$BENCH_TMP/pki base="user=$BENCH_DB_USER dbname=$BENCH_DB_NAME host=127.0.0.1"
  local direct_tls="sslmode=verify-full sslrootcert=$p/db/ca.crt sslcert=$p/client.crt sslkey=$p/client.key"
  case $1 in
    direct) echo "$base port=$PG_PORT sslmode=disable" ;;
    direct_tls) echo "$base port=$PG_PORT $direct_tls" ;;
    haproxy) echo "$base port=$HAPROXY_PORT $direct_tls" ;;
    pgbouncer) echo "$base port=$PGBOUNCER_PORT $direct_tls" ;;
    pgbouncer_chain) echo "$base port=$PGB_CHAIN_A_PORT $direct_tls" ;;
    ferry) local c=$BENCH_TMP/ferry/client
      echo "$base port=$FERRY_PORT sslmode=verify-full sslrootcert=$c/host-ca.pem sslcert=$c/cert.pem sslkey=$c/key.pem" ;;
    ferry_b) local c=$BENCH_TMP/ferry/client
      echo "$base port=$FERRY_B_PORT sslmode=verify-full sslrootcert=$c/host-ca.pem sslcert=$c/cert.pem sslkey=$c/key.pem" ;;
    ferry_pool) local c=$BENCH_TMP/ferry/client-pool
      echo "$base port=$FERRY_PORT sslmode=verify-full sslrootcert=$c/host-ca.pem sslcert=$c/cert.pem sslkey=$c/key.pem" ;;
    ferry_guarded) local c=$BENCH_TMP/ferry/client-guarded
      echo "$base port=$FERRY_PORT sslmode=verify-full sslrootcert=$c/host-ca.pem sslcert=$c/cert.pem sslkey=$c/key.pem" ;;
    *) echo "unknown path $1" >&2; exit 1 ;;
  esac
}

# npgsql_conn PATH: the same, as an Npgsql connection string (for the idle-session load generator).
npgsql_conn() {
  local p=$BENCH_TMP/pki base="Host=127.0.0.1;Username=$BENCH_DB_USER;Database=$BENCH_DB_NAME;Pooling=false;Timeout=60;Include Error Detail=true"
  local direct_tls="SSL Mode=VerifyFull;Root Certificate=$p/db/ca.crt;SSL Certificate=$p/client.crt;SSL Key=$p/client.key"
  case $1 in
    direct) echo "$base;Port=$PG_PORT;SSL Mode=Disable" ;;
    direct_tls) echo "$base;Port=$PG_PORT;$direct_tls" ;;
    haproxy) echo "$base;Port=$HAPROXY_PORT;$direct_tls" ;;
    pgbouncer) echo "$base;Port=$PGBOUNCER_PORT;$direct_tls;Server Compatibility Mode=NoTypeLoading" ;;
    pgbouncer_chain) echo "$base;Port=$PGB_CHAIN_A_PORT;$direct_tls;Server Compatibility Mode=NoTypeLoading" ;;
    ferry) local c=$BENCH_TMP/ferry/client
      echo "$base;Port=$FERRY_PORT;SSL Mode=VerifyFull;Root Certificate=$c/host-ca.pem;SSL Certificate=$c/cert.pem;SSL Key=$c/key.pem" ;;
    ferry_b) local c=$BENCH_TMP/ferry/client
      echo "$base;Port=$FERRY_B_PORT;SSL Mode=VerifyFull;Root Certificate=$c/host-ca.pem;SSL Certificate=$c/cert.pem;SSL Key=$c/key.pem" ;;
  esac
}

# proxy_pid PATH: the process whose memory the idle test measures (none for the direct paths).
proxy_pid() {
  case $1 in
    haproxy) echo "$HAPROXY_PID" ;;
    pgbouncer) echo "$PGBOUNCER_PID" ;;
    pgbouncer_chain) echo "$PGB_CHAIN_A_PID" ;;
    ferry|ferry_guarded|ferry_pool|mysql_ferry) echo "$FERRYD_PID" ;;
    ferry_b) echo "${FERRYD_B_PID:-}" ;;
    *) echo "" ;;
  esac
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
