namespace Ferry.Auth.Model;

/// <summary>One review stored in an <see cref="AccessRequestRecord"/>.</summary>
internal sealed class AccessRequestReviewRecord
{
    public string Reviewer { get; set; } = "";

    /// <summary><c>approve</c> or <c>deny</c>.</summary>
    public string Decision { get; set; } = "";

    public string Reason { get; set; } = "";

    public DateTimeOffset Time { get; set; }
}
