namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/inventory</c> from a proxy (host certificate, role proxy): every database its live
/// agent tunnels serve. A report replaces the proxy's previous one and lapses after <see cref="TtlSeconds"/>.
/// </summary>
public sealed class InventoryReport
{
    public List<DatabaseEntry> Databases { get; set; } = [];

    public int TtlSeconds { get; set; } = 30;

    /// <summary>Where agents dial this proxy (<c>proxy.tunnel_addr</c>, host:port); the auth service lists it to agents. Null: not listed.</summary>
    public string? TunnelAddr { get; set; }
}
