namespace Ferry.Contracts;

/// <summary><c>GET /v1/databases</c>: <c>{"databases":[DatabaseEntry...]}</c>, only those the caller's roles can see, sorted by name.</summary>
public sealed class DatabasesResponse
{
    public List<DatabaseEntry> Databases { get; set; } = [];
}
