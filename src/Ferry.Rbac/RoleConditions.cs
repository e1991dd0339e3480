namespace Ferry.Rbac;

/// <summary>
/// The <c>allow:</c> or <c>deny:</c> block of a role. Values may contain <c>*</c> wildcards and trait
/// templates (<c>{{internal.x}}</c>, <c>{{external.x}}</c>).
/// </summary>
public sealed record RoleConditions(
    IReadOnlyDictionary<string, IReadOnlyList<string>> DbLabels,
    IReadOnlyList<string> DbNames,
    IReadOnlyList<string> DbUsers)
{
    /// <summary>A block that matches nothing.</summary>
    public static readonly RoleConditions Empty = new(
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal), [], []);

    /// <summary><c>request</c>: which roles the holder may ask for (allow block only); null when not set.</summary>
    public RequestRules? Request { get; init; }

    /// <summary><c>review_requests</c>: which requests the holder may review (allow block only); null when not set.</summary>
    public ReviewRules? ReviewRequests { get; init; }

    /// <summary>True when the block has no rule at all.</summary>
    public bool IsEmpty => DbLabels.Count == 0 && DbNames.Count == 0 && DbUsers.Count == 0 && Request is null && ReviewRequests is null;
}
