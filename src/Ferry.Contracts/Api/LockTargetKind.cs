namespace Ferry.Contracts;

/// <summary>What a lock applies to (JSON: <c>"user"</c>, <c>"role"</c>, <c>"database"</c>, <c>"access_request"</c>, <c>"session"</c>).</summary>
public static class LockTargetKind
{
    public const string User = "user";
    public const string Role = "role";
    public const string Database = "database";

    /// <summary>An access request id: sessions whose certificate names it end, and it can no longer be used.</summary>
    public const string AccessRequest = "access_request";

    /// <summary>A live database session id: the agent relaying it ends it (<c>ferry sessions end</c>).</summary>
    public const string Session = "session";

    public static bool IsValid(string kind) => kind is User or Role or Database or AccessRequest or Session;
}
