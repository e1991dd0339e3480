using Ferry.Auth.Backend;
using Ferry.Auth.Users;

namespace Ferry.Auth.Tests;

/// <summary>
/// The throttle in the backend. It used to lock a user out for every source once anyone failed 5 times; now a
/// source with a clean record always gets its credentials checked, and the state survives a restart.
/// </summary>
public sealed class LoginThrottleTests : IAsyncLifetime
{
    private readonly ManualClock _time = new(DateTimeOffset.UnixEpoch.AddYears(56));
    private readonly TempDirectory _dir = new();
    private IBackend _backend = null!;

    public Task InitializeAsync()
    {
        _backend = SqliteBackend.Open(_dir.Path, _time);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task UserAndSourceIsLockedAfterFreeFailures_WithGrowingLockouts_WhileOtherSourcesStillTry()
    {
        var throttle = new LoginThrottle(_backend, _time, new LoginThrottleOptions());
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(await throttle.RetryAfterAsync("bob", "10.0.0.1"));
            await throttle.RecordFailureAsync("bob", "10.0.0.1");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), await throttle.RetryAfterAsync("bob", "10.0.0.1"));
        Assert.Null(await throttle.RetryAfterAsync("bob", "10.0.0.9"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await throttle.RetryAfterAsync("bob", "10.0.0.1"));
        await throttle.RecordFailureAsync("bob", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(2), await throttle.RetryAfterAsync("bob", "10.0.0.1"));
        Assert.Null(await throttle.RetryAfterAsync("alice", "10.0.0.1"));
    }

    [Fact]
    public async Task SourceIsLockedAfterSprayingManyUsers()
    {
        var throttle = new LoginThrottle(_backend, _time, new LoginThrottleOptions());
        for (var i = 0; i < 20; i++)
        {
            await throttle.RecordFailureAsync("user" + i, "10.0.0.2");
        }

        Assert.NotNull(await throttle.RetryAfterAsync("fresh", "10.0.0.2"));
        Assert.Null(await throttle.RetryAfterAsync("fresh", "10.0.0.3"));
    }

    [Fact]
    public async Task DistributedGuessing_LocksTheUserForSourcesThatFailed_NeverForACleanSource_AndIsCapped()
    {
        var throttle = new LoginThrottle(_backend, _time, new LoginThrottleOptions { MaxUserLockout = TimeSpan.FromSeconds(30) });
        for (var i = 0; i < 80; i++)
        {
            await throttle.RecordFailureAsync("bob", "10.1.0." + i);
        }

        Assert.Equal(TimeSpan.FromSeconds(30), await throttle.RetryAfterAsync("bob", "10.1.0.7"));
        Assert.Null(await throttle.RetryAfterAsync("bob", "10.2.0.1"));
        Assert.Null(await throttle.RetryAfterAsync("alice", "10.1.0.7"));
    }

    [Fact]
    public async Task Success_ClearsOnlyThatUserAndSource()
    {
        var throttle = new LoginThrottle(_backend, _time, new LoginThrottleOptions());
        for (var i = 0; i < 5; i++)
        {
            await throttle.RecordFailureAsync("bob", "10.0.0.1");
        }

        await throttle.RecordSuccessAsync("bob", "10.0.0.1");
        Assert.Null(await throttle.RetryAfterAsync("bob", "10.0.0.1"));
    }

    [Fact]
    public async Task State_SurvivesReopeningTheBackend_AndExpires()
    {
        var options = new LoginThrottleOptions();
        for (var i = 0; i < 7; i++)
        {
            await new LoginThrottle(_backend, _time, options).RecordFailureAsync("bob", "10.0.0.1");
        }

        await _backend.DisposeAsync();
        _backend = SqliteBackend.Open(_dir.Path, _time);
        Assert.Equal(TimeSpan.FromSeconds(4), await new LoginThrottle(_backend, _time, options).RetryAfterAsync("bob", "10.0.0.1"));

        // Bounded: every entry is a lease that ends ForgetAfter after its lockout.
        Assert.NotEmpty(await _backend.RangeAsync(LoginThrottle.Prefix));
        _time.Advance(options.ForgetAfter + TimeSpan.FromSeconds(5));
        Assert.Empty(await _backend.RangeAsync(LoginThrottle.Prefix));
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("::ffff:10.0.0.1", "10.0.0.1")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void IPv6Sources_AreCountedPer64(string address, string source) =>
        Assert.Equal(source, LoginThrottle.SourceOf(address));
}
