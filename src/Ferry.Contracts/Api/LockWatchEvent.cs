namespace Ferry.Contracts;

/// <summary>
/// One line of <c>GET /v1/locks/watch</c> (JSON lines). On connect the server sends a <c>put</c> for every current
/// lock, then <c>synced</c>; afterwards <c>put</c> / <c>delete</c> as locks change (a lock that expires arrives as
/// <c>delete</c>), and <c>ping</c> every 15 s so either side notices a dead connection.
/// </summary>
public sealed class LockWatchEvent
{
    public const string Put = "put";
    public const string Delete = "delete";
    public const string Synced = "synced";
    public const string Ping = "ping";

    public string Type { get; set; } = "";

    /// <summary>The lock, for <c>put</c>.</summary>
    public LockInfo? Lock { get; set; }

    /// <summary>The lock id, for <c>put</c> and <c>delete</c>.</summary>
    public string? Id { get; set; }
}
