namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/access-requests</c> (user certificate): ask for <see cref="Roles"/> (each must be in one of the
/// caller's <c>allow.request.roles</c>) or for <see cref="Resources"/> (<c>db/NAME</c>, granted through the
/// caller's <c>allow.request.search_as_roles</c> and limited to those databases). Exactly one of the two lists is
/// non-empty. Answer: the created <see cref="AccessRequestInfo"/> (state <c>pending</c>).
/// </summary>
public sealed class AccessRequestCreate
{
    public List<string> Roles { get; set; } = [];

    /// <summary>Resource ids, <c>db/NAME</c>.</summary>
    public List<string> Resources { get; set; } = [];

    public string Reason { get; set; } = "";

    /// <summary>Asked-for length of the grant once approved; capped by the roles' <c>request.max_duration</c> and the requester's session.</summary>
    public long? DurationSeconds { get; set; }

    /// <summary>Reviewers the requester suggests (notified; they still need <c>allow.review_requests</c>).</summary>
    public List<string> Reviewers { get; set; } = [];
}

/// <summary><c>POST /v1/access-requests/{id}/review</c>: <c>{"approve": true|false, "reason"}</c>.</summary>
public sealed class AccessRequestReview
{
    public bool Approve { get; set; }

    public string Reason { get; set; } = "";
}

/// <summary><c>POST /v1/access-requests/{id}/drop</c> (the requester or an admin): ends an approved grant early (or withdraws a pending request).</summary>
public sealed class AccessRequestDrop
{
    public string Reason { get; set; } = "";
}

/// <summary>One review of a request.</summary>
public sealed class AccessRequestReviewInfo
{
    public string Reviewer { get; set; } = "";

    /// <summary><c>approve</c> or <c>deny</c>.</summary>
    public string Decision { get; set; } = "";

    public string Reason { get; set; } = "";

    public DateTimeOffset Time { get; set; }
}

/// <summary>
/// An access request as the API shows it. <see cref="State"/>: <c>pending</c>, <c>approved</c>, <c>denied</c>,
/// <c>expired</c> (pending too long, or an approved grant past <see cref="AccessExpires"/>), <c>dropped</c>.
/// </summary>
public sealed class AccessRequestInfo
{
    /// <summary>Random id (UUID text).</summary>
    public string Id { get; set; } = "";

    public string User { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public List<string> Resources { get; set; } = [];

    public string Reason { get; set; } = "";

    public string State { get; set; } = "";

    public DateTimeOffset Created { get; set; }

    /// <summary>A pending request is dropped as <c>expired</c> at this time (<c>pending_ttl</c>).</summary>
    public DateTimeOffset PendingExpires { get; set; }

    /// <summary>Granted duration in seconds (what the grant will last from approval).</summary>
    public long DurationSeconds { get; set; }

    /// <summary>Set once approved: when the access ends.</summary>
    public DateTimeOffset? AccessExpires { get; set; }

    public List<string> SuggestedReviewers { get; set; } = [];

    public List<AccessRequestReviewInfo> Reviews { get; set; } = [];

    /// <summary>Why it was denied, dropped or expired (the last reviewer's or dropper's reason).</summary>
    public string? Resolution { get; set; }
}

/// <summary><c>GET /v1/access-requests?state=…</c>: the caller's own requests and those the caller may review (admins: all).</summary>
public sealed class AccessRequestsResponse
{
    public List<AccessRequestInfo> Requests { get; set; } = [];
}

/// <summary>Access request states as the API writes them.</summary>
public static class AccessRequestStates
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Expired = "expired";
    public const string Dropped = "dropped";
}
