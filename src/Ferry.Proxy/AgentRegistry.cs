using System.Collections.Concurrent;
using Ferry.Contracts;

namespace Ferry.Proxy;

/// <summary>A live agent tunnel as the proxy sees it: how to open a stream on it, and what it last said it serves.</summary>
public interface IAgentTunnel
{
    string AgentId { get; }

    Task<Stream> OpenStreamAsync(CancellationToken ct);

    bool IsAlive { get; }
}

/// <summary>
/// The registry of live agent tunnels and the inventory from their heartbeats. A database is routed only to the
/// agent the auth service bound its name to (<see cref="BoundAgent"/>), whatever other heartbeats claim; several
/// tunnels of that agent (or, before the bindings are known, several agents) are tried in turn.
/// </summary>
public sealed class AgentRegistry
{
    private readonly ConcurrentDictionary<IAgentTunnel, AgentHeartbeat> _agents = new();

    /// <summary>
    /// The agents a database name is bound to (the auth service's <c>/db-bindings/NAME</c>): the agent that registered it
    /// first, then those an administrator shared it with (agent HA); empty when no agent registered the name, null when
    /// the bindings are not known yet (then every heartbeat that lists the name counts).
    /// </summary>
    public Func<string, IReadOnlyList<string>?> BoundAgents { get; set; } = static _ => null;

    private bool Serves(IAgentTunnel tunnel, string database) => BoundAgents(database) is not { } bound || bound.Contains(tunnel.AgentId);

    /// <summary>Why no tunnel serves <paramref name="database"/> (for the refusal when <see cref="Find"/> is empty).</summary>
    public string NotServedReason(string database)
    {
        var agents = BoundAgents(database);
        var bound = agents is null ? null : agents.Count == 0 ? "" : string.Join("\", \"", agents);
        var claimed = _agents.Any(p => p.Key.IsAlive && p.Value.Databases.Any(d => d.Name == database));
        return bound switch
        {
            "" when claimed => "no agent serving it is connected: a connected agent claims it, but no agent registered it with the auth service",
            "" => "no agent serving it is connected: no agent registered it (an agent removed with `ferryd admin hosts rm` no longer serves it)",
            { } agent when claimed => $"no agent serving it is connected: it is bound to agent \"{agent}\", {(agents!.Count > 1 ? "none of which is" : "which is not")} connected (other agents' claims are not routed)",
            { } agent => $"no agent serving it is connected: it is bound to agent \"{agent}\", {(agents!.Count > 1 ? "none of which is" : "which is not")} connected",
            null => "no agent serving it is connected",
        };
    }

    /// <summary>Raised after a tunnel registers a changed heartbeat or goes away (not on every identical heartbeat).</summary>
    public event Action? Changed;

    public void Register(IAgentTunnel tunnel, AgentHeartbeat heartbeat)
    {
        var changed = !_agents.TryGetValue(tunnel, out var previous) || !SameInventory(previous, heartbeat);
        _agents[tunnel] = heartbeat;
        if (changed)
        {
            Changed?.Invoke();
        }
    }

    public void Unregister(IAgentTunnel tunnel)
    {
        if (_agents.TryRemove(tunnel, out _))
        {
            Changed?.Invoke();
        }
    }

    /// <summary>Every database live agents serve, one entry per name, with how many agents serve it.</summary>
    public IReadOnlyList<(DatabaseEntry Database, int Agents)> Inventory()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (tunnel, hb) in _agents)
        {
            if (tunnel.IsAlive)
            {
                foreach (var db in hb.Databases)
                {
                    if (Serves(tunnel, db.Name))
                    {
                        counts[db.Name] = counts.GetValueOrDefault(db.Name) + 1;
                    }
                }
            }
        }
        return [.. Databases().Select(d => (d, counts.GetValueOrDefault(d.Name)))];
    }

    private static bool SameInventory(AgentHeartbeat a, AgentHeartbeat b) =>
        a.Databases.Count == b.Databases.Count && a.Databases.Zip(b.Databases).All(p => SameDatabase(p.First, p.Second));

    private static bool SameDatabase(DatabaseEntry a, DatabaseEntry b) =>
        a.Name == b.Name && a.Protocol == b.Protocol && a.Healthy == b.Healthy && a.ServerVersion == b.ServerVersion && a.Collation == b.Collation
        && a.Description == b.Description && a.Labels.Count == b.Labels.Count
        && a.Labels.All(l => b.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public int Count => _agents.Count;

    /// <summary>Agents serving <paramref name="database"/>, healthy ones first, in random order among equals.</summary>
    public IReadOnlyList<(IAgentTunnel Tunnel, DatabaseEntry Database)> Find(string database)
    {
        var list = new List<(IAgentTunnel, DatabaseEntry)>();
        foreach (var (tunnel, hb) in _agents)
        {
            if (!tunnel.IsAlive)
            {
                continue;
            }
            foreach (var db in hb.Databases)
            {
                if (db.Name == database && Serves(tunnel, database))
                {
                    list.Add((tunnel, db));
                }
            }
        }
        return [.. list.OrderBy(x => x.Item2.Healthy ? 0 : 1).ThenBy(_ => Random.Shared.Next())];
    }

    private readonly ConcurrentDictionary<string, int> _tags = new(StringComparer.Ordinal);

    /// <summary>
    /// One live tunnel of each agent whose cancel-key tag is <paramref name="tag"/> (<see cref="Ferry.Protocol.Postgres.CancelKeyRouting"/>),
    /// at most <paramref name="max"/> agents: where a CancelRequest for a session relayed by another proxy may be sent.
    /// </summary>
    public IReadOnlyList<IAgentTunnel> TunnelsTagged(int tag, int max)
    {
        var byAgent = new Dictionary<string, IAgentTunnel>(StringComparer.Ordinal);
        if (tag <= 0)
        {
            return [];
        }

        foreach (var tunnel in _agents.Keys)
        {
            if (tunnel.IsAlive && byAgent.Count < max && !byAgent.ContainsKey(tunnel.AgentId)
                && _tags.GetOrAdd(tunnel.AgentId, static id => Ferry.Protocol.Postgres.CancelKeyRouting.Tag(id)) == tag)
            {
                byAgent[tunnel.AgentId] = tunnel;
            }
        }

        return [.. byAgent.Values];
    }

    /// <summary>Every database any live agent serves (one entry per name).</summary>
    public IReadOnlyList<DatabaseEntry> Databases()
    {
        var byName = new Dictionary<string, DatabaseEntry>(StringComparer.Ordinal);
        foreach (var (tunnel, hb) in _agents)
        {
            if (!tunnel.IsAlive)
            {
                continue;
            }
            foreach (var db in hb.Databases)
            {
                if (Serves(tunnel, db.Name) && (!byName.TryGetValue(db.Name, out var existing) || (!existing.Healthy && db.Healthy)))
                {
                    byName[db.Name] = db;
                }
            }
        }
        return [.. byName.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];
    }
}
