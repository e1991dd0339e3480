namespace Ferry.Rbac;

/// <summary>
/// <c>allow.request</c> of a role: which roles its holders may ask for (<see cref="Roles"/>, globs), which roles a
/// request for resources (<c>db/NAME</c>) is granted through (<see cref="SearchAsRoles"/>), how many approvals and
/// denials decide (<see cref="Thresholds"/>; none = one approval, one denial), the longest grant
/// (<see cref="MaxDuration"/>), whether a reason is required and whom to suggest as reviewers.
/// </summary>
public sealed record RequestRules(
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> SearchAsRoles,
    IReadOnlyList<RequestThreshold> Thresholds,
    TimeSpan? MaxDuration,
    bool ReasonRequired,
    IReadOnlyList<string> SuggestedReviewers)
{
    /// <summary>Longest <c>max_duration</c> a role may set.</summary>
    public static readonly TimeSpan MaxDurationLimit = TimeSpan.FromDays(7);

    /// <summary>Grant length when no role sets <c>max_duration</c>.</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromHours(8);

    /// <summary>Most entries in each list (roles, search_as_roles, thresholds, suggested_reviewers).</summary>
    public const int MaxEntries = 32;

    /// <summary>The cap this rule puts on a grant.</summary>
    public TimeSpan EffectiveMaxDuration => MaxDuration ?? DefaultMaxDuration;
}
