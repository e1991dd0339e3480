namespace Ferry.Identity;

/// <summary>Stable names of the CA kinds, used in file names and messages.</summary>
public static class CaKindNames
{
    /// <summary>"user", "host" or "db-client".</summary>
    public static string ToName(this CaKind kind) => kind switch
    {
        CaKind.User => "user",
        CaKind.Host => "host",
        CaKind.DbClient => "db-client",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown CA kind"),
    };
}
