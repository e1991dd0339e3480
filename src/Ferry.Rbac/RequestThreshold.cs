namespace Ferry.Rbac;

/// <summary>One threshold: <see cref="Approve"/> approvals grant, <see cref="Deny"/> denials refuse, for requests the <see cref="Filter"/> matches (null: all).</summary>
public sealed record RequestThreshold(int Approve, int Deny, RequestPredicate? Filter)
{
    /// <summary>Largest approve or deny count.</summary>
    public const int MaxCount = 16;

    /// <summary>The threshold used when a rule sets none: one approval, one denial.</summary>
    public static readonly RequestThreshold Default = new(1, 1, null);
}
