namespace Ferry.Contracts;

/// <summary><c>POST /v1/audit/events</c> answer: <c>{"received","stored"}</c> (received minus duplicates dropped by id).</summary>
public sealed class AuditUploadResponse
{
    public int Received { get; set; }

    public int Stored { get; set; }

    /// <summary>Events refused because the uploading host may not report them (wrong kind, source or database).</summary>
    public int Refused { get; set; }
}
