namespace Ferry.Rbac;

/// <summary>What a <see cref="RequestPredicate"/> can see: the request, and for <c>where</c> the reviewer.</summary>
public sealed class RequestPredicateContext
{
    public string User { get; init; } = "";

    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Resource ids, <c>db/NAME</c>.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    public string Reason { get; init; } = "";

    public IReadOnlyList<string> SuggestedReviewers { get; init; } = [];

    public string ReviewerUser { get; init; } = "";

    public IReadOnlyList<string> ReviewerRoles { get; init; } = [];
}
