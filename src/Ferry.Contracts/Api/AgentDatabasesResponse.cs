namespace Ferry.Contracts;

/// <summary>The answer to <see cref="AgentDatabasesReport"/>: the names accepted, and the ones refused with why.</summary>
public sealed class AgentDatabasesResponse
{
    public List<string> Accepted { get; set; } = [];

    public Dictionary<string, string> Refused { get; set; } = [];
}
