namespace Ferry.Auth.Model;

/// <summary>
/// Which agent a database name belongs to (<c>/db-bindings/NAME</c>): the first agent that registered it. Only that
/// agent gets db-client certificates for the name and reports it to the inventory, until the host is removed
/// (<c>ferryd admin hosts rm</c>) or it has not registered the name for <see cref="AuthServiceOptions.DatabaseBindingTakeover"/>.
/// </summary>
internal sealed class DatabaseBinding
{
    public string Name { get; set; } = "";

    public string HostId { get; set; } = "";

    /// <summary>
    /// Further agents the operator allowed to serve this name too (<c>ferryd admin hosts share</c>): agent HA. They get
    /// db-client certificates for it and are routed to like <see cref="HostId"/>; an agent not listed is still refused.
    /// </summary>
    public List<string> SharedWith { get; set; } = [];

    /// <summary>Whether <paramref name="hostId"/> serves this name (the agent it is bound to, or one it is shared with).</summary>
    public bool Serves(string hostId) => HostId == hostId || SharedWith.Contains(hostId, StringComparer.Ordinal);

    /// <summary>Every agent serving this name: <see cref="HostId"/> first.</summary>
    public IReadOnlySet<string> Agents() => new HashSet<string>(SharedWith.Prepend(HostId), StringComparer.Ordinal);

    public string Protocol { get; set; } = "";

    /// <summary>The labels the agent last registered (static and dynamic): RBAC for db-client certificates uses them.</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    public DateTimeOffset BoundAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }
}
