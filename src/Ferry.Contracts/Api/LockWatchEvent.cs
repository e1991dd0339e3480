namespace Ferry.Contracts;

/// <summary>
/// One line of <c>GET /v1/locks/watch</c> (JSON lines). On connect the server sends a <c>put</c> for every current
/// lock, then <c>synced</c>; afterwards <c>put</c> / <c>delete</c> as locks change (a lock that expires arrives as
/// <c>delete</c>), and <c>ping</c> every 15 s so either side notices a dead connection.
/// The same watch carries what proxies route by: <c>host_put</c> for every registered host and <c>binding_put</c> for every
/// database binding (name → agent) before <c>synced</c> (which then says <see cref="Routing"/>), and <c>host_delete</c>
/// (<c>ferryd admin hosts rm</c>) / <c>binding_delete</c> / <c>binding_put</c> as they change. Older readers ignore them.
/// </summary>
public sealed class LockWatchEvent
{
    public const string Put = "put";
    public const string Delete = "delete";
    public const string Synced = "synced";
    public const string Ping = "ping";
    public const string HostPut = "host_put";
    public const string HostDelete = "host_delete";
    public const string BindingPut = "binding_put";
    public const string BindingDelete = "binding_delete";

    /// <summary>The host, for <c>host_put</c>, <c>host_delete</c> and <c>binding_put</c> (the agent the name is bound to).</summary>
    public string? HostId { get; set; }

    /// <summary>For <c>binding_put</c>: further agents the name is shared with (agent HA); null when none.</summary>
    public List<string>? SharedWith { get; set; }

    /// <summary>The host's role (<c>agent</c>, <c>proxy</c>), for <c>host_put</c>.</summary>
    public string? Role { get; set; }

    /// <summary>The database name, for <c>binding_put</c> and <c>binding_delete</c>.</summary>
    public string? Database { get; set; }

    /// <summary>On <c>synced</c>: the hosts and bindings came before it (a server that sends them).</summary>
    public bool Routing { get; set; }

    public string Type { get; set; } = "";

    /// <summary>The lock, for <c>put</c>.</summary>
    public LockInfo? Lock { get; set; }

    /// <summary>The lock id, for <c>put</c> and <c>delete</c>.</summary>
    public string? Id { get; set; }
}
