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

    public string Protocol { get; set; } = "";

    /// <summary>The labels the agent last registered (static and dynamic): RBAC for db-client certificates uses them.</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    public DateTimeOffset BoundAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }
}
