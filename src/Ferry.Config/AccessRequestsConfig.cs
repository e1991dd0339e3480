namespace Ferry.Config;

/// <summary><c>auth.access_requests</c>: how long a request waits for review and how many one user may have waiting.</summary>
public sealed record AccessRequestsConfig
{
    /// <summary>A pending request becomes <c>expired</c> after this long (default 1h; 1m to 7d).</summary>
    public TimeSpan PendingTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most pending requests per user (default 8; 1 to 100).</summary>
    public int MaxPendingPerUser { get; init; } = 8;

    /// <summary>How often the auth service moves due requests and grants to <c>expired</c> (default 30s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);
}
