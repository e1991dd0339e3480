namespace Ferry.Client.Api;

/// <summary><c>GET /v1/databases</c>: <c>{"databases":[…]}</c>, only what the caller's roles allow.</summary>
public sealed class DatabaseList
{
    public List<DatabaseInfo> Databases { get; set; } = [];
}
