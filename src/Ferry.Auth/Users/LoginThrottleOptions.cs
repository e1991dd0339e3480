namespace Ferry.Auth.Users;

/// <summary>
/// Lockout policy for failed logins. From the <see cref="FreeFailuresPerUser"/>-th consecutive failure for one user
/// (or the <see cref="FreeFailuresPerAddress"/>-th for one source address), further attempts are refused without
/// checking credentials for <see cref="BaseLockout"/> × 2^(failures beyond that), capped at <see cref="MaxLockout"/>. Attempts refused by
/// the throttle do not count, so a guessing loop against one user never locks its address out for others.
/// Counters are forgotten after <see cref="ForgetAfter"/> without failures.
/// </summary>
public sealed class LoginThrottleOptions
{
    public int FreeFailuresPerUser { get; init; } = 5;

    public int FreeFailuresPerAddress { get; init; } = 20;

    public TimeSpan BaseLockout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxLockout { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromHours(1);
}
