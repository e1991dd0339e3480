using Ferry.Auth.Users;

namespace Ferry.Auth.Tests;

public sealed class LoginThrottleTests
{
    private readonly ManualClock _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    [Fact]
    public void UserIsLockedAfterFreeFailures_WithGrowingLockouts()
    {
        var throttle = new LoginThrottle(_time, new LoginThrottleOptions());
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(throttle.RetryAfter("bob", "10.0.0.1"));
            throttle.RecordFailure("bob", "10.0.0.1");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("bob", "10.0.0.9"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.RetryAfter("bob", "10.0.0.1"));
        throttle.RecordFailure("bob", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("bob", "10.0.0.1"));
        Assert.Null(throttle.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void AddressIsLockedAfterSprayingManyUsers()
    {
        var throttle = new LoginThrottle(_time, new LoginThrottleOptions());
        for (var i = 0; i < 20; i++)
        {
            throttle.RecordFailure("user" + i, "10.0.0.2");
        }

        Assert.NotNull(throttle.RetryAfter("fresh", "10.0.0.2"));
        Assert.Null(throttle.RetryAfter("fresh", "10.0.0.3"));
    }

    [Fact]
    public void Lockout_IsCapped_AndSuccessClearsTheUser()
    {
        var throttle = new LoginThrottle(_time, new LoginThrottleOptions { MaxLockout = TimeSpan.FromSeconds(30) });
        for (var i = 0; i < 40; i++)
        {
            throttle.RecordFailure("bob", "a" + i);
        }

        Assert.Equal(TimeSpan.FromSeconds(30), throttle.RetryAfter("bob", "x"));
        throttle.RecordSuccess("bob");
        Assert.Null(throttle.RetryAfter("bob", "x"));
    }
}
