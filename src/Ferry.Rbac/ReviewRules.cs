namespace Ferry.Rbac;

/// <summary><c>allow.review_requests</c>: requests for which roles the holder may review, narrowed by <see cref="Where"/>.</summary>
public sealed record ReviewRules(IReadOnlyList<string> Roles, RequestPredicate? Where);
