using Ferry.Contracts;

namespace Ferry.Auth.Inventory;

/// <summary>
/// The databases the cluster can reach right now, merged from every proxy's latest report. Each
/// report replaces that proxy's previous one and lapses after its TTL, so a proxy that stops
/// reporting drops out. In memory only: proxies report again within seconds after a restart.
/// </summary>
public sealed class DatabaseInventory(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (IReadOnlyList<DatabaseEntry> Databases, DateTimeOffset Expires)> _reports = new(StringComparer.Ordinal);

    public void Report(string proxyId, IReadOnlyList<DatabaseEntry> databases, TimeSpan ttl)
    {
        lock (_lock)
        {
            _reports[proxyId] = (databases, time.GetUtcNow() + ttl);
        }
    }

    /// <summary>One entry per database name: healthy reports win over unhealthy ones; agent counts add up.</summary>
    public IReadOnlyList<DatabaseEntry> Current()
    {
        var now = time.GetUtcNow();
        var byName = new Dictionary<string, DatabaseEntry>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (proxy, report) in _reports.ToArray())
            {
                if (report.Expires <= now)
                {
                    _reports.Remove(proxy);
                    continue;
                }
                foreach (var db in report.Databases)
                {
                    if (!byName.TryGetValue(db.Name, out var existing))
                    {
                        byName[db.Name] = Copy(db);
                    }
                    else
                    {
                        var agents = Math.Max(existing.Agents ?? 0, db.Agents ?? 0);
                        byName[db.Name] = (!existing.Healthy && db.Healthy ? Copy(db) : existing) with { Agents = agents };
                    }
                }
            }
        }
        return [.. byName.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];
    }

    private static DatabaseEntry Copy(DatabaseEntry d) => new()
    {
        Name = d.Name,
        Protocol = d.Protocol,
        Description = d.Description,
        Labels = new Dictionary<string, string>(d.Labels, StringComparer.Ordinal),
        ServerVersion = d.ServerVersion,
        Healthy = d.Healthy,
        HealthError = d.HealthError,
        Agents = d.Agents,
    };
}
