namespace Ferry.Rbac;

/// <summary>
/// What a request may be, worked out from the requester's roles at create time (<see cref="AccessRequestRules"/>):
/// the roles it grants, the longest grant, whether it needs a reason, whom to suggest, and per granted role the
/// thresholds (already filtered by the request) that decide it.
/// </summary>
public sealed record AccessRequestPlan(
    IReadOnlyList<string> Roles,
    TimeSpan MaxDuration,
    bool ReasonRequired,
    IReadOnlyList<string> SuggestedReviewers,
    IReadOnlyList<IReadOnlyList<RequestThreshold>> Thresholds);
