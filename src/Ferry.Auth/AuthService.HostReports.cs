using System.Globalization;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>At most this many databases per agent registration or proxy report.</summary>
    public const int MaxReportedDatabases = 1024;

    private static readonly TimeSpan BindingWriteInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>POST /v1/agents/databases</c>: the databases an agent serves. Each name is bound to the first agent that
    /// registers it; a name bound to another agent is refused for this one (audited, logged, counted) unless that
    /// agent was removed or has not registered it for <see cref="AuthServiceOptions.DatabaseBindingTakeover"/>.
    /// The accepted entries make up the agent's part of the inventory until the report's TTL lapses.
    /// </summary>
    public Task<AgentDatabasesResponse> RegisterAgentDatabasesAsync(HostIdentity agent, AgentDatabasesReport report, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(report);
        if (agent.Role != HostRole.Agent)
        {
            throw AuthException.Forbidden("only agents register databases");
        }

        return RegisterAgentDatabasesAsync(agent.HostId, report, clientAddr, ct);
    }

    internal async Task<AgentDatabasesResponse> RegisterAgentDatabasesAsync(string agentId, AgentDatabasesReport report, string clientAddr, CancellationToken ct)
    {
        if (report.Databases.Count > MaxReportedDatabases)
        {
            throw AuthException.BadRequest($"at most {MaxReportedDatabases} databases per registration");
        }

        var response = new AgentDatabasesResponse();
        var accepted = new List<DatabaseEntry>();
        var now = Now;
        foreach (var db in report.Databases.DistinctBy(d => d.Name, StringComparer.Ordinal))
        {
            var refusal = await BindAsync(agentId, db, now, ct).ConfigureAwait(false);
            if (refusal is null)
            {
                accepted.Add(db);
                response.Accepted.Add(db.Name);
            }
            else
            {
                response.Refused[db.Name] = refusal;
            }
        }

        Inventory.RegisterAgent(agentId, accepted, TimeSpan.FromSeconds(Math.Clamp(report.TtlSeconds, 5, 600)));
        response.Proxies = await ListProxyEndpointsAsync(ct).ConfigureAwait(false);
        if (response.Refused.Count > 0)
        {
            var names = string.Join(",", response.Refused.Keys.Order(StringComparer.Ordinal).Take(16));
            ReportRefused(HostRefusals.DatabaseClaimed, "agent", agentId, "database registration", response.Refused.Count, names, clientAddr,
                string.Join("; ", response.Refused.Values.Distinct().Take(4)));
        }

        return response;
    }

    /// <summary>Binds (or refreshes) <paramref name="db"/> to <paramref name="agentId"/>; null when it is the agent's, else why not.</summary>
    private async Task<string?> BindAsync(string agentId, DatabaseEntry db, DateTimeOffset now, CancellationToken ct)
    {
        if (!IsDatabaseName(db.Name) || db.Protocol is not ("postgres" or "mysql") || db.Labels.Count > 64
            || db.Labels.Any(l => l.Key.Length > 128 || l.Value.Length > 256) || db.Description.Length > 1024)
        {
            return "not a valid database entry (name 1-128 of letters, digits, '_-.@'; protocol postgres or mysql; bounded labels)";
        }

        var key = BackendKeys.DatabaseBinding(db.Name);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false);
            if (current is { } s && s.Value.HostId != agentId && s.Value.SharedWith.Contains(agentId, StringComparer.Ordinal))
            {
                // An agent the operator shared the name with: accepted as it is (the binding's labels stay those of the agent
                // it is bound to); it keeps the binding alive, so the name is not taken over while any of its agents serves it.
                if (s.Value.Protocol != db.Protocol)
                {
                    return $"database \"{db.Name}\" is a {s.Value.Protocol} database (as agent \"{s.Value.HostId}\" registered it), not {db.Protocol}";
                }

                if (now - s.Value.LastSeenAt < BindingWriteInterval)
                {
                    return null;
                }

                s.Value.LastSeenAt = now;
                if (await Backend.CompareAndSwapAsync(key, s.Revision, s.Value, StorageJsonContext.Default.DatabaseBinding, cancellationToken: ct).ConfigureAwait(false) is not null)
                {
                    return null;
                }

                continue;
            }

            if (current is { } c && c.Value.HostId != agentId)
            {
                var owner = await Backend.GetAsync(BackendKeys.Host(c.Value.HostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
                var lapsed = now - c.Value.LastSeenAt >= _options.DatabaseBindingTakeover;
                if (owner is not null && !lapsed)
                {
                    return $"database \"{db.Name}\" is already served by agent \"{c.Value.HostId}\" (to serve it from several agents, an administrator runs `ferryd admin hosts share {db.Name} {agentId}`)";
                }
            }

            var existing = current?.Value;
            var mine = existing is not null && existing.HostId == agentId;
            if (mine && existing!.Protocol == db.Protocol && SameLabels(existing.Labels, db.Labels) && now - existing.LastSeenAt < BindingWriteInterval)
            {
                return null;
            }

            var binding = new DatabaseBinding
            {
                Name = db.Name,
                HostId = agentId,
                SharedWith = mine ? existing!.SharedWith : [],
                Protocol = db.Protocol,
                Labels = new Dictionary<string, string>(db.Labels, StringComparer.Ordinal),
                BoundAt = mine ? existing!.BoundAt : now,
                LastSeenAt = now,
            };
            if (await Backend.CompareAndSwapAsync(key, current?.Revision ?? 0, binding, StorageJsonContext.Default.DatabaseBinding, cancellationToken: ct).ConfigureAwait(false) is not null)
            {
                return null;
            }
        }

        return $"database \"{db.Name}\" is being registered concurrently; try again";
    }

    /// <summary>The name-to-agent bindings, for filtering the inventory and checking uploads.</summary>
    internal async Task<Dictionary<string, IReadOnlySet<string>>> DatabaseBindingsAsync(CancellationToken ct)
    {
        var bindings = await Backend.RangeAsync(BackendKeys.DatabaseBindings, StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false);
        return bindings.ToDictionary(b => b.Name, b => b.Agents(), StringComparer.Ordinal);
    }

    /// <summary>
    /// <c>POST /v1/inventory</c> from a proxy: only names some live agent registered are taken (the listing takes labels and
    /// protocol from the agent's registration anyway); the rest are refused (audited once a minute, logged, counted).
    /// </summary>
    public void ReportProxyInventory(HostIdentity proxy, InventoryReport report, string clientAddr)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(report);
        if (report.Databases.Count > MaxReportedDatabases)
        {
            throw AuthException.BadRequest($"at most {MaxReportedDatabases} databases per report");
        }

        var accepted = report.Databases.Where(d => Inventory.IsRegistered(d.Name)).ToList();
        Inventory.Report(proxy.HostId, accepted, TimeSpan.FromSeconds(Math.Clamp(report.TtlSeconds, 5, 600)));
        var refused = report.Databases.Count - accepted.Count;
        if (refused > 0)
        {
            var names = string.Join(",", report.Databases.Where(d => !Inventory.IsRegistered(d.Name)).Select(d => d.Name).Order(StringComparer.Ordinal).Take(16));
            ReportRefused(HostRefusals.InventoryRefused, "proxy", proxy.HostId, "inventory", refused, names, clientAddr, "no agent registered these databases");
        }
    }

    /// <summary>
    /// <c>POST /v1/audit/events</c>: keeps only the events this host may report, with its own id stamped as the source:
    /// an agent's db session events for databases bound to it (and session refusals for any name, as an agent refuses
    /// names it does not serve); a proxy's db session refusals (<c>success: false</c>) only. Returns the kept events and
    /// how many were refused (audited once a minute per host, logged, counted).
    /// </summary>
    internal async Task<(List<AuditEvent> Accepted, int Refused)> FilterHostEventsAsync(HostIdentity host, List<AuditEvent> events, string clientAddr, CancellationToken ct)
    {
        var accepted = new List<AuditEvent>(events.Count);
        if (host.Role == HostRole.Auth)
        {
            accepted.AddRange(events);
            return (accepted, 0);
        }

        var bindings = host.Role == HostRole.Agent ? await DatabaseBindingsAsync(ct).ConfigureAwait(false) : null;
        string? why = null;
        foreach (var e in events)
        {
            var reason = HostEventRefusal(host, e, bindings);
            if (reason is null)
            {
                e.Cluster = ClusterName;
                if (host.Role == HostRole.Agent)
                {
                    e.AgentId = host.HostId;
                    e.ServerId = null;
                }
                else
                {
                    e.ServerId = host.HostId;
                    e.AgentId = null;
                }
                accepted.Add(e);
            }
            else
            {
                why ??= reason;
            }
        }

        var refused = events.Count - accepted.Count;
        if (refused > 0)
        {
            var role = WireNames.ToName(host.Role);
            ReportRefused(HostRefusals.AuditEventsRefused, role, host.HostId, "audit events", refused, "", clientAddr, why!);
        }

        return (accepted, refused);
    }

    private static string? HostEventRefusal(HostIdentity host, AuditEvent e, Dictionary<string, IReadOnlySet<string>>? bindings)
    {
        if (!e.Type.StartsWith("db.session.", StringComparison.Ordinal))
        {
            return $"a {WireNames.ToName(host.Role)} does not emit {e.Type} events";
        }

        var claimed = host.Role == HostRole.Agent ? (e.AgentId, e.ServerId) : (e.ServerId, e.AgentId);
        if ((claimed.Item1 is { Length: > 0 } source && source != host.HostId) || claimed.Item2 is { Length: > 0 })
        {
            return "the event names another host as its source";
        }

        var refusal = !e.Success && e.Type == AuditEventTypes.DbSessionStart;
        if (host.Role == HostRole.Proxy)
        {
            return refusal ? null : "a proxy reports only refused sessions";
        }

        if (refusal)
        {
            return null;
        }

        return e.DbService is { } db && bindings!.TryGetValue(db, out var owners) && owners.Contains(host.HostId)
            ? null
            : $"database \"{e.DbService}\" is not served by this agent";
    }

    private void ReportRefused(string reason, string role, string hostId, string report, int count, string names, string clientAddr, string detail)
    {
        if (!HostRefusals.Count(reason, hostId + "\n" + report + "\n" + names))
        {
            return;
        }

        HostAccessLog.ReportRefused(HostRefusals.Log, report, role, hostId, count, detail);
        var details = new Dictionary<string, string>
        {
            ["host_id"] = hostId,
            ["role"] = role,
            ["report"] = report,
            ["reason"] = reason,
            ["refused"] = count.ToString(CultureInfo.InvariantCulture),
        };
        if (names.Length > 0)
        {
            details["names"] = names;
        }

        Emit(AuditEventKinds.HostReportRefused, null, false, detail, clientAddr, details);
    }

    private static bool IsDatabaseName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@');

    private static bool SameLabels(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
