namespace Ferry.Config;

/// <summary>The commented sample printed by <c>ferryd configure</c>; it parses to the documented defaults.</summary>
public static class SampleConfig
{
    public const string Text = """
        # ferry.yaml: configuration of ferryd. Every key is optional unless marked required.
        # Durations: 30s, 5m, 12h, 7d. Sizes: 65536, 64KiB, 16MiB.

        # Name of the cluster, written into every certificate and audit event.
        cluster_name: ferry
        # Where the auth service keeps its SQLite backend, CA keys (mode 0600) and the audit store;
        # where proxies and agents keep their host certificates and audit spool.
        data_dir: /var/lib/ferry
        # debug | info | warning | error: one logfmt line per event on standard error.
        log_level: info
        # Where Prometheus metrics (/metrics) and health checks (/healthz, /readyz) are served,
        # plain HTTP: keep it on loopback or a private interface. Not served when absent.
        # diag_addr: 127.0.0.1:9090

        # The auth service: users, roles, CAs, logins, locks and the audit store.
        auth:
          enabled: true
          # HTTPS API (mutual TLS for hosts and users; login is public and throttled).
          listen_addr: 127.0.0.1:3025
          # Extra names/addresses for the auth server certificate.
          public_addrs: []
          # TTL of a login when the roles do not cap it lower (max_session_ttl).
          default_session_ttl: 12h
          # Audit segments older than this are removed.
          audit_retention: 365d

        # The proxy: port 3080 carries PostgreSQL, the agent tunnels and the API; MySQL has its own port.
        proxy:
          enabled: true
          listen_addr: 0.0.0.0:3080
          mysql_listen_addr: 0.0.0.0:3036
          # Addresses clients use; the proxy's certificate covers them (sslmode=verify-full).
          public_addrs: [localhost:3080]
          # Where the auth service is (not needed in --all-in-one).
          auth_addr: 127.0.0.1:3025
          # Join token for a proxy on a host other than the auth service.
          # join_token: ...
          # Host CA fingerprint checked before joining (`ferryd admin ca export --type host --fingerprint`).
          # ca_pin: sha256:...
          # Largest protocol message accepted after authentication.
          max_message_bytes: 64MiB
          # A client must finish TLS and the startup handshake within this time.
          handshake_timeout: 10s
          # Client connections held open at most, in total and per source address (over a cap: refused at once).
          max_connections: 10000
          max_connections_per_source: 1000

        # The agent: dials out to every proxy and serves the databases next to it.
        agent:
          enabled: true
          # Proxies to dial (host:port of their port 3080).
          proxies: [127.0.0.1:3080]
          # One-time join token from `ferryd admin tokens add --role agent` (not needed in --all-in-one).
          # join_token: ...
          # Stable identifier of this agent (default: the machine's host name).
          # host_id: edge-42
          # Host CA fingerprint checked before joining (`ferryd admin ca export --type host --fingerprint`).
          # ca_pin: sha256:...
          databases:
            - name: pg1                    # required: service name users see
              protocol: postgres           # required: postgres | mysql
              uri: 127.0.0.1:5432          # required: host:port of the database
              description: Orders database
              labels: { env: dev, team: payments }
              # Labels computed by a command run on an interval (its trimmed stdout is the value).
              dynamic_labels:
                - name: hostname
                  command: [hostname]
                  period: 1m
              tls:
                # verify-full | verify-ca | insecure (development only)
                mode: verify-full
                # CA bundle of the database server certificate (default: the system store).
                # ca_file: /etc/ferry/db-ca.pem
                # Name to verify in the server certificate (default: the host of uri).
                # server_name: db.internal
              # PostgreSQL only: keep server connections of sessions that ended idle and reuse them,
              # after DISCARD ALL, for the next session with the same db user, db name and parameters.
              # pool: { max_idle: 8, idle_timeout: 1m, max_lifetime: 1h }
        """;
}
