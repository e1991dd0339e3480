namespace Ferry.Auth.Model;

/// <summary>
/// An access request (<c>/access-requests/ID</c>, ID a random UUID). Kept until <see cref="Retain"/> after it ends
/// (backend lease). Written with compare-and-swap so that concurrent reviews never lose one.
/// </summary>
internal sealed class AccessRequestRecord
{
    public string Id { get; set; } = "";

    public string User { get; set; } = "";

    /// <summary>SSO connector of the requester's certificate ("" for a local user).</summary>
    public string Connector { get; set; } = "";

    /// <summary>The requester's roles when asking (an SSO user's come from the certificate).</summary>
    public List<string> RequesterRoles { get; set; } = [];

    /// <summary>Roles the grant adds (asked for, or the search_as_roles that reach <see cref="Resources"/>).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary><c>db/NAME</c>; when not empty the grant's roles reach only these databases.</summary>
    public List<string> Resources { get; set; } = [];

    public string Reason { get; set; } = "";

    public string State { get; set; } = "";

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset PendingExpires { get; set; }

    public long DurationSeconds { get; set; }

    public DateTimeOffset? AccessExpires { get; set; }

    public List<string> SuggestedReviewers { get; set; } = [];

    /// <summary>Per granted role, the thresholds (approve, deny) that decide the request, filters already applied.</summary>
    public List<List<ThresholdRecord>> Thresholds { get; set; } = [];

    public List<AccessRequestReviewRecord> Reviews { get; set; } = [];

    public string? Resolution { get; set; }

    /// <summary>How long an ended request stays readable (for <c>ls</c>, <c>show</c> and audit cross-reference).</summary>
    public static readonly TimeSpan Retain = TimeSpan.FromDays(7);
}
