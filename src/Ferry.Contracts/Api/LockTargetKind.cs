namespace Ferry.Contracts;

/// <summary>What a lock applies to (JSON: <c>"user"</c>, <c>"role"</c>, <c>"database"</c>).</summary>
public static class LockTargetKind
{
    public const string User = "user";
    public const string Role = "role";
    public const string Database = "database";

    public static bool IsValid(string kind) => kind is User or Role or Database;
}
