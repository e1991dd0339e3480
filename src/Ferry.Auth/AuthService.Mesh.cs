using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth;

/// <summary>
/// Several proxies and agent HA: the proxies an agent should keep a tunnel to (the agent mesh), and the database names an
/// operator shares between agents.
/// </summary>
public sealed partial class AuthService
{
    /// <summary>A proxy's tunnel address is rewritten at most this often while it stays the same (its reports come every 10 s).</summary>
    internal static readonly TimeSpan TunnelSeenWriteInterval = TimeSpan.FromSeconds(15);

    /// <summary>A proxy whose last report is older than this is left out of the agents' list (it stopped or lost the auth service).</summary>
    public static readonly TimeSpan ProxyListTtl = TimeSpan.FromSeconds(60);

    /// <summary>At most this many proxies are given to an agent.</summary>
    public const int MaxListedProxies = 256;

    private readonly ProxyListCache _proxyList;

    /// <summary>Records <paramref name="tunnelAddr"/> as where agents dial <paramref name="proxyId"/> (from its inventory report).</summary>
    internal async Task NoteProxyTunnelAddressAsync(string proxyId, string? tunnelAddr, string clientAddr, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(tunnelAddr))
        {
            return;
        }

        if (tunnelAddr.Length > 260 || !Ferry.Config.Units.TryParseHostPort(tunnelAddr, out _, out _))
        {
            // Audited once a minute per proxy, logged, counted (ferry_refusals_total{side="auth",reason="inventory_refused"}); nothing is stored.
            ReportRefused(HostRefusals.InventoryRefused, "proxy", proxyId, "tunnel address", 1, "", clientAddr, "tunnel_addr: expected host:port");
            throw AuthException.BadRequest("tunnel_addr: expected host:port");
        }

        var key = BackendKeys.Host(proxyId);
        var now = Now;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
            if (current is not { } c || c.Value.Role != "proxy")
            {
                return;
            }

            if (c.Value.TunnelAddress == tunnelAddr && c.Value.TunnelReportedAt is { } at && now - at < TunnelSeenWriteInterval)
            {
                return;
            }

            c.Value.TunnelAddress = tunnelAddr;
            c.Value.TunnelReportedAt = now;
            if (await Backend.CompareAndSwapAsync(key, c.Revision, c.Value, StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false) is not null)
            {
                _proxyList.Invalidate();
                return;
            }
        }
    }

    /// <summary>
    /// The proxies agents keep a tunnel to: every registered proxy that reported a tunnel address within
    /// <see cref="ProxyListTtl"/>, ordered by host id. The host records behind it are read through
    /// <see cref="ProxyListCache"/> (at most one backend read a second however many agents register).
    /// </summary>
    public async Task<List<ProxyEndpoint>> ListProxyEndpointsAsync(CancellationToken ct = default)
    {
        var proxies = await _proxyList.GetAsync(ReadProxyListAsync, ct).ConfigureAwait(false);
        var now = Now;
        return [.. proxies
            .Where(p => now - p.ReportedAt < ProxyListTtl)
            .Take(MaxListedProxies)
            .Select(p => new ProxyEndpoint { HostId = p.HostId, Address = p.Address })];
    }

    private async Task<IReadOnlyList<ProxyListEntry>> ReadProxyListAsync(CancellationToken ct)
    {
        var hosts = await Backend.RangeAsync(BackendKeys.Hosts, StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        return [.. hosts
            .Where(h => h.Role == "proxy" && !string.IsNullOrEmpty(h.TunnelAddress) && h.TunnelReportedAt is not null)
            .OrderBy(h => h.HostId, StringComparer.Ordinal)
            .Select(h => new ProxyListEntry(h.HostId, h.TunnelAddress!, h.TunnelReportedAt!.Value))];
    }

    /// <summary>
    /// <c>ferryd admin hosts share DATABASE AGENT</c>: lets <paramref name="agentId"/> serve <paramref name="database"/> too. The
    /// name must already be bound (an agent registered it) and the agent must be a registered agent.
    /// </summary>
    public async Task ShareDatabaseAsync(string database, string agentId, string actor, CancellationToken ct = default)
    {
        Names.Require(agentId, "agent host id");
        if (!IsDatabaseName(database))
        {
            throw AuthException.BadRequest("database: 1-128 of letters, digits, '_-.@'");
        }

        var host = await Backend.GetAsync(BackendKeys.Host(agentId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        if (host is null || host.Role != "agent")
        {
            throw AuthException.NotFound($"no agent \"{agentId}\": see `hosts ls`");
        }

        await UpdateBindingAsync(database, b =>
        {
            if (b.Serves(agentId))
            {
                return false;
            }

            b.SharedWith.Add(agentId);
            return true;
        }, ct).ConfigureAwait(false);
        Emit(AuditEventKinds.HostShare, actor, details: new() { ["database"] = database, ["host_id"] = agentId, ["shared"] = "true" });
    }

    /// <summary><c>ferryd admin hosts unshare DATABASE AGENT</c>: the agent no longer serves the name (the agent it is bound to stays).</summary>
    public async Task UnshareDatabaseAsync(string database, string agentId, string actor, CancellationToken ct = default)
    {
        Names.Require(agentId, "agent host id");
        if (!IsDatabaseName(database))
        {
            throw AuthException.BadRequest("database: 1-128 of letters, digits, '_-.@'");
        }

        await UpdateBindingAsync(database, b =>
        {
            if (b.HostId == agentId)
            {
                throw AuthException.BadRequest($"database \"{database}\" is bound to agent \"{agentId}\" itself: remove the host (`hosts rm`) to release it");
            }

            if (b.SharedWith.RemoveAll(h => h == agentId) == 0)
            {
                throw AuthException.NotFound($"database \"{database}\" is not shared with agent \"{agentId}\"");
            }

            return true;
        }, ct).ConfigureAwait(false);
        Emit(AuditEventKinds.HostShare, actor, details: new() { ["database"] = database, ["host_id"] = agentId, ["shared"] = "false" });
    }

    private async Task UpdateBindingAsync(string database, Func<DatabaseBinding, bool> change, CancellationToken ct)
    {
        var key = BackendKeys.DatabaseBinding(database);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"database \"{database}\" is not registered by any agent: start the agent that serves it first");
            if (!change(current.Value))
            {
                return;
            }

            if (await Backend.CompareAndSwapAsync(key, current.Revision, current.Value, StorageJsonContext.Default.DatabaseBinding, cancellationToken: ct).ConfigureAwait(false) is not null)
            {
                return;
            }
        }

        throw new AuthException(409, $"database \"{database}\" is being changed concurrently; try again");
    }

    /// <summary>
    /// For <c>hosts rm</c>: drops <paramref name="hostId"/> from <paramref name="binding"/>. The name passes to the first agent it
    /// was shared with when its own agent goes; returns false when no agent is left (the caller deletes the binding).
    /// </summary>
    private static bool WithoutHost(DatabaseBinding binding, string hostId)
    {
        binding.SharedWith.RemoveAll(h => h == hostId);
        if (binding.HostId != hostId)
        {
            return true;
        }

        if (binding.SharedWith.Count == 0)
        {
            return false;
        }

        binding.HostId = binding.SharedWith[0];
        binding.SharedWith.RemoveAt(0);
        return true;
    }
}
