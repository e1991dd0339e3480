namespace Ferry.Audit;

/// <summary>
/// Who writes a process's events: its cluster, and its host id as a server (auth service, proxy:
/// <c>server_id</c>) or as an agent (<c>agent_id</c>).
/// </summary>
public sealed record AuditOrigin(string? Cluster, string? ServerId, string? AgentId)
{
    /// <summary>An auth service or proxy.</summary>
    public static AuditOrigin Server(string? cluster, string? serverId) => new(cluster, serverId, null);

    /// <summary>An agent.</summary>
    public static AuditOrigin Agent(string? cluster, string? agentId) => new(cluster, null, agentId);
}
