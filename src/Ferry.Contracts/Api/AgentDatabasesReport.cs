namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/agents/databases</c> from an agent (host certificate, role agent): every database it serves, as
/// in its heartbeat. The auth service binds each name to the agent; only names an agent registered are listed to
/// users and only the agent a name is bound to gets db-client certificates for it. Lapses after <see cref="TtlSeconds"/>.
/// </summary>
public sealed class AgentDatabasesReport
{
    public List<DatabaseEntry> Databases { get; set; } = [];

    public int TtlSeconds { get; set; } = 30;
}
