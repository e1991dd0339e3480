namespace Ferry.Contracts;

/// <summary>A user without secrets: <c>{"name","roles","traits","created_at"}</c> (<c>GET /v1/users/{name}</c>, <c>users ls --format json</c>).</summary>
public sealed class UserInfo
{
    public string Name { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public Dictionary<string, List<string>> Traits { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}
