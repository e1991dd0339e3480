using Ferry.Contracts;

namespace Ferry.Proxy;

/// <summary>The proxy's agent inventory in the shape the auth service's <c>/v1/inventory</c> takes.</summary>
public static class InventoryEntries
{
    public static List<DatabaseEntry> From(AgentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return [.. registry.Inventory().Select(x => new DatabaseEntry
        {
            Name = x.Database.Name,
            Protocol = x.Database.Protocol,
            Description = x.Database.Description,
            Labels = new Dictionary<string, string>(x.Database.Labels, StringComparer.Ordinal),
            ServerVersion = x.Database.ServerVersion is { Length: > 0 } v ? v : null,
            Healthy = x.Database.Healthy,
            HealthError = x.Database.HealthError,
            Agents = x.Agents,
        })];
    }
}
