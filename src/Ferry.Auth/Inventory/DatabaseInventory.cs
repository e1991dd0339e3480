using Ferry.Contracts;

namespace Ferry.Auth.Inventory;

/// <summary>
/// The databases the cluster can reach right now. Two kinds of report meet here:
/// <list type="bullet">
/// <item>each agent registers the databases it serves (<c>POST /v1/agents/databases</c>, or in-process): name, protocol,
/// labels, health. The auth service binds a name to the first agent that registers it (<see cref="Model.DatabaseBinding"/>);
/// only the bound agent's entry counts.</item>
/// <item>each proxy reports which names its live agent tunnels serve and how many (<c>POST /v1/inventory</c>).</item>
/// </list>
/// A database is listed when its bound agent's registration is live and some proxy reaches it; what is listed (labels,
/// protocol, health) is the agent's. A proxy can therefore neither add a name no agent registered nor change a
/// database's labels: a stolen proxy credential cannot make users see a fake database. Reports replace the
/// reporter's previous one and lapse after their TTL. In memory only: hosts report again within seconds after a restart.
/// </summary>
public sealed class DatabaseInventory(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (IReadOnlyList<DatabaseEntry> Databases, DateTimeOffset Expires)> _reports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyList<DatabaseEntry> Databases, DateTimeOffset Expires)> _agents = new(StringComparer.Ordinal);

    /// <summary>A proxy's report: the names its agent tunnels serve, with agent counts.</summary>
    public void Report(string proxyId, IReadOnlyList<DatabaseEntry> databases, TimeSpan ttl)
    {
        lock (_lock)
        {
            _reports[proxyId] = (databases, time.GetUtcNow() + ttl);
        }
    }

    /// <summary>An agent's registration of the databases it serves (only the names bound to it).</summary>
    public void RegisterAgent(string agentId, IReadOnlyList<DatabaseEntry> databases, TimeSpan ttl)
    {
        lock (_lock)
        {
            _agents[agentId] = (databases, time.GetUtcNow() + ttl);
        }
    }

    /// <summary>Forgets an agent's registration (the host was removed).</summary>
    public void RemoveAgent(string agentId)
    {
        lock (_lock)
        {
            _agents.Remove(agentId);
        }
    }

    /// <summary>
    /// One entry per database name registered by a live agent it is bound to (<paramref name="bindings"/>: name to
    /// the agents serving it; null trusts the registrations as they are) and reached by a live proxy report; agent counts from the proxies.
    /// </summary>
    public IReadOnlyList<DatabaseEntry> Current(IReadOnlyDictionary<string, IReadOnlySet<string>>? bindings = null)
    {
        var now = time.GetUtcNow();
        var registered = new Dictionary<string, DatabaseEntry>(StringComparer.Ordinal);
        var agents = new Dictionary<string, int>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (agent, registration) in _agents.ToArray())
            {
                if (registration.Expires <= now)
                {
                    _agents.Remove(agent);
                    continue;
                }
                foreach (var db in registration.Databases)
                {
                    if (bindings is null || (bindings.TryGetValue(db.Name, out var owners) && owners.Contains(agent)))
                    {
                        registered.TryAdd(db.Name, db);
                    }
                }
            }
            foreach (var (proxy, report) in _reports.ToArray())
            {
                if (report.Expires <= now)
                {
                    _reports.Remove(proxy);
                    continue;
                }
                foreach (var db in report.Databases)
                {
                    agents[db.Name] = Math.Max(agents.GetValueOrDefault(db.Name), Math.Max(db.Agents ?? 0, 1));
                }
            }
        }
        return [.. registered.Values
            .Where(d => agents.ContainsKey(d.Name))
            .Select(d => Copy(d) with { Agents = agents[d.Name] })
            .OrderBy(d => d.Name, StringComparer.Ordinal)];
    }

    /// <summary>The names a live agent registration holds (for checking a proxy's report).</summary>
    public bool IsRegistered(string name)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _agents.Values.Any(r => r.Expires > now && r.Databases.Any(d => d.Name == name));
        }
    }

    private static DatabaseEntry Copy(DatabaseEntry d) => new()
    {
        Name = d.Name,
        Protocol = d.Protocol,
        Description = d.Description,
        Labels = new Dictionary<string, string>(d.Labels, StringComparer.Ordinal),
        ServerVersion = d.ServerVersion is { Length: > 0 } v ? v : null,
        Healthy = d.Healthy,
        HealthError = d.HealthError,
        Agents = d.Agents,
    };
}
