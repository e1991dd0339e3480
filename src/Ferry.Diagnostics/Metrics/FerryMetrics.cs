using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ferry.Diagnostics;

/// <summary>
/// Every metric Ferry exports, in one place: one <see cref="Meter"/> named <c>Ferry</c>, instrument
/// names already in Prometheus form (<c>ferry_…</c>, counters end in <c>_total</c>). Call sites use the
/// one-line methods below; label values are a small fixed vocabulary (protocol, database service name,
/// a refusal reason word), never user input such as query text. docs/metrics.md lists them all.
/// </summary>
public static class FerryMetrics
{
    public const string MeterName = "Ferry";

    public static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly UpDownCounter<long> SessionsActive = Meter.CreateUpDownCounter<long>(
        "ferry_sessions_active", "{session}", "Database sessions currently relayed by the agent, by protocol and database.");

    private static readonly Counter<long> SessionsTotal = Meter.CreateCounter<long>(
        "ferry_sessions_total", "{session}", "Database sessions the agent started (result=established) or refused (result=refused), by protocol and database.");

    private static readonly Counter<long> QueriesTotal = Meter.CreateCounter<long>(
        "ferry_queries_total", "{statement}", "Statements the agent audited as run (simple queries, PostgreSQL Execute, MySQL COM_QUERY and statement execute), by protocol and database.");

    private static readonly Counter<long> ResultRowsTotal = Meter.CreateCounter<long>(
        "ferry_result_rows_total", "{row}", "Rows the databases returned to clients through the agent (PostgreSQL DataRow and COPY out rows, MySQL result rows), by protocol and database.");

    private static readonly Counter<long> ResultBytesTotal = Meter.CreateCounter<long>(
        "ferry_result_bytes_total", "By", "Bytes the databases sent for statements through the agent, by protocol and database.");

    private static readonly Counter<long> LimitsTotal = Meter.CreateCounter<long>(
        "ferry_limits_total", "{event}", "Statements or sessions a role limit stopped or refused, by protocol, database and limit (max_query_rows, max_query_bytes, egress, idle_timeout, pinned_setting).");

    private static readonly Counter<long> BytesTotal = Meter.CreateCounter<long>(
        "ferry_proxy_bytes_total", "By", "Bytes the proxy relayed between clients and agents, by protocol and direction (from_client, to_client).");

    private static readonly Histogram<double> ConnectDuration = Meter.CreateHistogram(
        "ferry_connect_duration_seconds", "s", "Time from the proxy accepting a client connection to the session being established, by protocol.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly UpDownCounter<long> TunnelsConnected = Meter.CreateUpDownCounter<long>(
        "ferry_tunnels_connected", "{tunnel}", "Agent tunnels currently up: side=proxy counts tunnels a proxy accepted, side=agent tunnels an agent dialled.");

    private static readonly UpDownCounter<long> AgentProxyTunnels = Meter.CreateUpDownCounter<long>(
        "ferry_agent_proxy_tunnels", "{tunnel}", "Tunnels an agent holds up, per proxy address it dials (agent mesh)");

    private static readonly Counter<long> AgentTunnelReconnects = Meter.CreateCounter<long>(
        "ferry_agent_tunnel_reconnects_total", "{attempt}", "Agent tunnel connection attempts after the first, per proxy address");

    private static readonly Counter<long> RefusalsTotal = Meter.CreateCounter<long>(
        "ferry_refusals_total", "{connection}", "Client connections refused, by side (proxy, agent) and reason.");

    private static readonly Counter<long> SsoLoginsTotal = Meter.CreateCounter<long>(
        "ferry_sso_logins_total", "{login}", "Single sign-on logins by connector (a configured name, or none) and result (ok, or the refusal reason).");

    private static readonly Counter<long> CancelsTotal = Meter.CreateCounter<long>(
        "ferry_cancels_total", "{request}", "PostgreSQL cancel requests, by side (proxy, agent) and result (forwarded, unknown_key, throttled).");

    private static readonly Counter<long> AcceptErrorsTotal = Meter.CreateCounter<long>(
        "ferry_accept_errors_total", "{error}", "Errors accepting connections on a listener (e.g. out of file descriptors), by listener; each is followed by a back-off.");

    private static readonly Counter<long> BackgroundFailuresTotal = Meter.CreateCounter<long>(
        "ferry_background_task_failures_total", "{failure}", "Failures of background tasks (audit shipping, certificate renewal, lock watch, tunnels…), by task.");

    private static readonly Counter<long> ProxyListReadsTotal = Meter.CreateCounter<long>(
        "ferry_auth_proxy_list_reads_total", "{read}", "Reads of the proxy list the auth service gives agents (agent mesh), by source: cache, or backend (at most one a second per auth server).");

    private static readonly Counter<long> AuthFailoversTotal = Meter.CreateCounter<long>(
        "ferry_auth_failovers_total", "{failover}", "Connections to the auth API that went to another of its addresses because the preferred one refused or timed out, by role of the caller (proxy, agent).");

    private static readonly UpDownCounter<long> AuthServerInfoGauge = Meter.CreateUpDownCounter<long>(
        "ferry_auth_server_info", "{server}", "1 for the auth server this process runs, labelled with its server_id (auth.server_id, or auth-MACHINE-PORT): the name its audit events carry.");

    private static readonly Counter<long> TunnelHandshakesShedTotal = Meter.CreateCounter<long>(
        "ferry_tunnel_handshakes_shed_total", "{connection}", "Agent tunnel connections a proxy closed before TLS because proxy.max_tunnel_handshakes handshakes were already in flight (the agent retries after its backoff).");

    private static readonly Counter<long> AuditShippedTotal = Meter.CreateCounter<long>(
        "ferry_audit_events_shipped_total", "{event}", "Audit events the spool shipper delivered to the auth service.");

    private static readonly Counter<long> AuditStoredTotal = Meter.CreateCounter<long>(
        "ferry_audit_events_stored_total", "{event}", "Audit events the auth service's segment store appended, by json: kept (uploaded as its canonical JSON, stored as it came) or written (serialised again).");

    private static readonly Counter<long> AuditSpoolCorruptRecordsTotal = Meter.CreateCounter<long>(
        "ferry_audit_spool_corrupt_records_total", "{record}", "Records of the local audit spool that failed their checksum or framing and were skipped (reading resumes at the next valid record).");

    private static readonly Counter<long> StatementsTruncatedTotal = Meter.CreateCounter<long>(
        "ferry_audit_statements_truncated_total", "{statement}", "Statements or parameters larger than agent.max_statement_bytes, audited by their first bytes, true length and SHA-256, by protocol.");

    private static readonly Counter<long> AccessRequestsTotal = Meter.CreateCounter<long>(
        "ferry_access_requests_total", "{event}", "Access request events of the auth service, by event (create, review, grant, deny, expire, drop, refused_<reason>).");

    private static readonly Counter<long> NotificationsTotal = Meter.CreateCounter<long>(
        "ferry_notifications_total", "{notification}", "Webhook notifications about access requests, by result (delivered, retried, failed, dropped: queue full).");

    private static readonly UpDownCounter<long> WebSessionsActive = Meter.CreateUpDownCounter<long>(
        "ferry_web_sessions_active", "{session}", "Web UI sessions (browser logins) currently open in the auth service.");

    private static readonly UpDownCounter<long> WebConsolesActive = Meter.CreateUpDownCounter<long>(
        "ferry_web_consoles_active", "{console}", "Web UI SQL consoles currently connected through the proxy, by protocol.");

    private static readonly Counter<long> WebConsolesTotal = Meter.CreateCounter<long>(
        "ferry_web_consoles_total", "{console}", "Web UI SQL consoles opened (result=opened) or refused (result=refused), by protocol.");

    private static readonly ConcurrentDictionary<object, Func<long>> AccessRequestsPendingSources = new(ReferenceEqualityComparer.Instance);

    private static readonly ObservableGauge<long> AccessRequestsPending = Meter.CreateObservableGauge(
        "ferry_access_requests_pending", ObserveAccessRequestsPending, "{request}", "Access requests waiting for review, as of the auth service's last sweep.");

    private static readonly ConcurrentDictionary<object, Func<long>> SpoolDepths = new(ReferenceEqualityComparer.Instance);
    private static readonly ConcurrentDictionary<object, Func<double>> ShippingLags = new(ReferenceEqualityComparer.Instance);

    private static readonly ObservableGauge<long> SpoolDepth = Meter.CreateObservableGauge(
        "ferry_audit_spool_depth_bytes", ObserveSpoolDepth, "By", "Bytes of audit events written to the local spool and not yet acknowledged by the auth service.");

    private static readonly ObservableGauge<double> ShippingLag = Meter.CreateObservableGauge(
        "ferry_audit_shipping_lag_seconds", ObserveShippingLag, "s", "How long the oldest unshipped audit event has been waiting in the spool (0 when caught up).");

    private static Func<long> s_tlsIdleBuffersFreed = static () => 0;
    private static Func<long> s_tlsIdleSweepFailures = static () => 0;

    private static readonly ObservableCounter<long> TlsIdleBuffersFreed = Meter.CreateObservableCounter(
        "ferry_tls_idle_buffers_freed_total", () => s_tlsIdleBuffersFreed(), "{connection}", "Times the TLS idle sweep freed a waiting connection's OpenSSL record buffers.");

    private static readonly ObservableCounter<long> TlsIdleSweepFailures = Meter.CreateObservableCounter(
        "ferry_tls_idle_sweep_failures_total", () => s_tlsIdleSweepFailures(), "{sweep}", "TLS idle sweeps that failed (each logged; the sweep runs again a second later).");

    private static Func<long> s_idleCompactions = static () => 0;

    private static readonly ObservableCounter<long> IdleCompactions = Meter.CreateObservableCounter(
        "ferry_gc_idle_compactions_total", () => s_idleCompactions(), "{collection}", "Compacting collections run when the process went quiet after a burst, to give memory back.");

    /// <summary>Where the idle compaction count is read from.</summary>
    public static void TrackIdleCompactions(Func<long> compactions) => s_idleCompactions = compactions;

    /// <summary>Where the TLS idle sweep's two counters are read from (the TLS stream's own totals).</summary>
    public static void TrackTlsIdleSweep(Func<long> buffersFreed, Func<long> failures)
    {
        s_tlsIdleBuffersFreed = buffersFreed;
        s_tlsIdleSweepFailures = failures;
    }

    public static class Sides
    {
        public const string Proxy = "proxy";
        public const string Agent = "agent";
        public const string Auth = "auth";
        public const string Web = "web";
    }

    /// <summary>An allowed db.session.start: one more active and one more established session.</summary>
    public static void SessionEstablished(string protocol, string database)
    {
        SessionsTotal.Add(1, new("protocol", protocol), new("database", database), new("result", "established"));
        SessionsActive.Add(1, new("protocol", protocol), new("database", database));
    }

    /// <summary>A denied db.session.start.</summary>
    public static void SessionRefused(string protocol, string database) =>
        SessionsTotal.Add(1, new("protocol", protocol), new("database", database), new("result", "refused"));

    /// <summary>A db.session.end of an established session.</summary>
    public static void SessionEnded(string protocol, string database) =>
        SessionsActive.Add(-1, new("protocol", protocol), new("database", database));

    public static void Query(string protocol, string database) =>
        QueriesTotal.Add(1, new("protocol", protocol), new("database", database));

    /// <summary>What a finished statement returned (rows and bytes), from its <c>db.session.result</c> event.</summary>
    public static void Result(string protocol, string database, long rows, long bytes)
    {
        if (rows > 0)
        {
            ResultRowsTotal.Add(rows, new("protocol", protocol), new("database", database));
        }

        if (bytes > 0)
        {
            ResultBytesTotal.Add(bytes, new("protocol", protocol), new("database", database));
        }
    }

    /// <summary>A role limit stopped a statement or a session, or refused one (<paramref name="limit"/> is the option's name).</summary>
    public static void LimitHit(string protocol, string database, string limit) =>
        LimitsTotal.Add(1, new("protocol", protocol), new("database", database), new("limit", limit));

    /// <summary>Bytes relayed by the proxy; <paramref name="fromClient"/> tells the direction.</summary>
    public static void ProxyBytes(string protocol, bool fromClient, long bytes) =>
        BytesTotal.Add(bytes, new("protocol", protocol), new("direction", fromClient ? "from_client" : "to_client"));

    /// <summary>Records the connect latency since <paramref name="acceptedTimestamp"/> (a <see cref="Stopwatch"/> timestamp; 0 = unknown, nothing recorded).</summary>
    public static void Connected(string protocol, long acceptedTimestamp)
    {
        if (acceptedTimestamp != 0)
        {
            ConnectDuration.Record(Stopwatch.GetElapsedTime(acceptedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("protocol", protocol));
        }
    }

    public static void TunnelUp(string side) => TunnelsConnected.Add(1, new KeyValuePair<string, object?>("side", side));

    public static void TunnelDown(string side) => TunnelsConnected.Add(-1, new KeyValuePair<string, object?>("side", side));

    /// <summary>An agent's tunnel to <paramref name="proxy"/> (host:port) went up (+1) or down (-1).</summary>
    public static void AgentProxyTunnel(string proxy, int delta) => AgentProxyTunnels.Add(delta, new KeyValuePair<string, object?>("proxy", proxy));

    /// <summary>An agent dials <paramref name="proxy"/> again after a failure or a lost tunnel.</summary>
    public static void AgentTunnelReconnect(string proxy) => AgentTunnelReconnects.Add(1, new KeyValuePair<string, object?>("proxy", proxy));

    /// <summary>A refused client connection; <paramref name="reason"/> is one word from a fixed set (docs/metrics.md).</summary>
    public static void Refused(string side, string reason) =>
        RefusalsTotal.Add(1, new("side", side), new("reason", reason));

    public static void WebSessionStarted() => WebSessionsActive.Add(1);

    public static void WebSessionEnded() => WebSessionsActive.Add(-1);

    /// <summary>A web console opened (<paramref name="opened"/>) or was refused, by protocol.</summary>
    public static void WebConsole(string protocol, bool opened)
    {
        WebConsolesTotal.Add(1, new("protocol", protocol), new("result", opened ? "opened" : "refused"));
        if (opened)
        {
            WebConsolesActive.Add(1, new KeyValuePair<string, object?>("protocol", protocol));
        }
    }

    public static void WebConsoleClosed(string protocol) => WebConsolesActive.Add(-1, new KeyValuePair<string, object?>("protocol", protocol));

    /// <summary>One SSO login outcome: <paramref name="result"/> is ok or a reason word of the auth service.</summary>
    public static void SsoLogin(string connector, string result) =>
        SsoLoginsTotal.Add(1, new("connector", connector), new("result", result));

    /// <summary>One PostgreSQL cancel request; <paramref name="result"/> is forwarded, unknown_key or throttled.</summary>
    public static void Cancel(string side, string result) =>
        CancelsTotal.Add(1, new("side", side), new("result", result));

    /// <summary>An accept error on <paramref name="listener"/> (postgres, mysql).</summary>
    public static void AcceptError(string listener) =>
        AcceptErrorsTotal.Add(1, new KeyValuePair<string, object?>("listener", listener));

    public static void BackgroundFailure(string task) =>
        BackgroundFailuresTotal.Add(1, new KeyValuePair<string, object?>("task", task));

    /// <summary>One read of the agents' proxy list; <paramref name="source"/> is cache or backend.</summary>
    public static void ProxyListRead(string source) =>
        ProxyListReadsTotal.Add(1, new KeyValuePair<string, object?>("source", source));

    /// <summary>A connection to the auth API failed over to its next address.</summary>
    public static void AuthFailover(string role) =>
        AuthFailoversTotal.Add(1, new KeyValuePair<string, object?>("role", role));

    /// <summary>Marks the auth server this process runs (one per process).</summary>
    public static void AuthServerInfo(string serverId) => AuthServerInfoGauge.Add(1, new KeyValuePair<string, object?>("server_id", serverId));

    /// <summary>An agent tunnel connection closed before TLS: too many handshakes in flight.</summary>
    public static void TunnelHandshakeShed() => TunnelHandshakesShedTotal.Add(1);

    public static void AuditShipped(long events) => AuditShippedTotal.Add(events);

    /// <summary>Events the segment store appended: <paramref name="kept"/> stored as uploaded, <paramref name="written"/> serialised again.</summary>
    public static void AuditStored(long kept, long written)
    {
        if (kept > 0)
        {
            AuditStoredTotal.Add(kept, new KeyValuePair<string, object?>("json", "kept"));
        }

        if (written > 0)
        {
            AuditStoredTotal.Add(written, new KeyValuePair<string, object?>("json", "written"));
        }
    }

    /// <summary>One access request event (create, review, grant, deny, expire, drop, refused_REASON).</summary>
    public static void AccessRequest(string @event) =>
        AccessRequestsTotal.Add(1, new KeyValuePair<string, object?>("event", @event));

    /// <summary>One webhook notification outcome: delivered, retried, failed or dropped.</summary>
    public static void Notification(string result) =>
        NotificationsTotal.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Reports the pending access requests of <paramref name="owner"/> until <see cref="UnregisterAccessRequestsPending"/>.</summary>
    public static void RegisterAccessRequestsPending(object owner, Func<long> pending) => AccessRequestsPendingSources[owner] = pending;

    public static void UnregisterAccessRequestsPending(object owner) => AccessRequestsPendingSources.TryRemove(owner, out _);

    private static IEnumerable<Measurement<long>> ObserveAccessRequestsPending()
    {
        foreach (var source in AccessRequestsPendingSources.Values)
        {
            yield return new Measurement<long>(source());
        }
    }

    /// <summary>A spool record skipped as corrupt.</summary>
    public static void AuditSpoolCorruptRecord() => AuditSpoolCorruptRecordsTotal.Add(1);

    /// <summary>A statement or parameter audited cut (its length and hash are in the event).</summary>
    public static void StatementTruncated(string protocol) =>
        StatementsTruncatedTotal.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    /// <summary>Reports <paramref name="depth"/> (bytes) as the spool depth until the returned registration is disposed.</summary>
    public static IDisposable TrackSpoolDepth(Func<long> depth) => Track(SpoolDepths, depth);

    /// <summary>Reports <paramref name="lag"/> (seconds) as the shipping lag until the returned registration is disposed.</summary>
    public static IDisposable TrackShippingLag(Func<double> lag) => Track(ShippingLags, lag);

    private static Registration Track<T>(ConcurrentDictionary<object, Func<T>> sources, Func<T> source)
    {
        var key = new object();
        sources[key] = source;
        return new Registration(() => sources.TryRemove(key, out _));
    }

    // One process runs at most one spool per role; several (all-in-one with a standalone agent in
    // tests) are summed for the depth and the worst is taken for the lag.
    private static long ObserveSpoolDepth()
    {
        long total = 0;
        foreach (var depth in SpoolDepths.Values)
        {
            total += depth();
        }
        return total;
    }

    private static double ObserveShippingLag()
    {
        var worst = 0.0;
        foreach (var lag in ShippingLags.Values)
        {
            worst = Math.Max(worst, lag());
        }
        return worst;
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
