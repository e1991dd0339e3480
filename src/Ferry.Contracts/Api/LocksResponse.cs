namespace Ferry.Contracts;

/// <summary><c>GET /v1/locks</c>: <c>{"locks":[LockInfo...]}</c>.</summary>
public sealed class LocksResponse
{
    public List<LockInfo> Locks { get; set; } = [];
}
