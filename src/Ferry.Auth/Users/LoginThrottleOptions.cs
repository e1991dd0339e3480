namespace Ferry.Auth.Users;

/// <summary>
/// Lockout policy for failed logins, in three buckets (see <see cref="LoginThrottle"/>):
/// <list type="bullet">
/// <item>per user and source address: from the <see cref="FreeFailuresPerUserAndSource"/>-th failure, that source
/// waits <see cref="BaseLockout"/> × 2^(failures beyond that) before it may try that user again, capped at <see cref="MaxLockout"/>;</item>
/// <item>per source address, across users (spraying): the same from the <see cref="FreeFailuresPerSource"/>-th failure;</item>
/// <item>per user, across sources (distributed guessing): from the <see cref="FreeFailuresPerUser"/>-th failure, capped at
/// <see cref="MaxUserLockout"/>, and applied only to sources that have failed before: a source with a clean record
/// always gets its credentials checked, so nobody elsewhere can lock a user out.</item>
/// </list>
/// Attempts refused by the throttle do not count. Counters are forgotten after <see cref="ForgetAfter"/> without failures.
/// IPv6 sources are counted per /64.
/// </summary>
public sealed class LoginThrottleOptions
{
    public int FreeFailuresPerUserAndSource { get; init; } = 5;

    public int FreeFailuresPerSource { get; init; } = 20;

    public int FreeFailuresPerUser { get; init; } = 50;

    public TimeSpan BaseLockout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxLockout { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan MaxUserLockout { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Window over which failed and refused logins of one user and source are summed into one audit event.</summary>
    public TimeSpan AuditWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Audit events written at once for failed or refused logins per <see cref="AuditWindow"/>; the rest are summarised.</summary>
    public int MaxAuditEventsPerWindow { get; init; } = 100;

    /// <summary>Distinct (user, source, reason) summaries kept per <see cref="AuditWindow"/>; beyond, one overflow summary counts the rest.</summary>
    public int MaxAuditSummariesPerWindow { get; init; } = 1000;
}
