namespace Ferry.Contracts;

/// <summary>The answer to <see cref="AgentDatabasesReport"/>: the names accepted, and the ones refused with why.</summary>
public sealed class AgentDatabasesResponse
{
    public List<string> Accepted { get; set; } = [];

    public Dictionary<string, string> Refused { get; set; } = [];

    /// <summary>
    /// The proxies the agent keeps a tunnel to (agent mesh): every proxy that reported a tunnel address lately. Null from an
    /// auth service that does not list them (the agent then keeps only its configured proxies).
    /// </summary>
    public List<ProxyEndpoint>? Proxies { get; set; }
}

/// <summary>A proxy as agents see it: its host id (the name in its host certificate) and the host:port agents dial.</summary>
public sealed class ProxyEndpoint
{
    public string HostId { get; set; } = "";

    public string Address { get; set; } = "";
}
