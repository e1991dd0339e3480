using Ferry.Agent;

namespace Ferry.Agent.Tests;

public sealed class CancelRegistryTests
{
    private static CancelTarget Target() => new(
        new AgentDatabase { Name = "pg1", Protocol = Ferry.Identity.DatabaseProtocol.Postgres, Host = "127.0.0.1", Port = 5432 },
        "alice", 1234, [1, 2, 3, 4], "session", "alice");

    [Fact]
    public void AFloodOfAValidKey_IsActedOnAtTheKeysRateOnly()
    {
        var clock = ManualClock.AtNow();
        var registry = new CancelRegistry();
        var (pid, secret) = registry.Register(Target());
        var acted = 0;
        var throttled = 0;
        for (var i = 0; i < 2000; i++)
        {
            if (registry.TryBegin(pid, secret, clock.GetUtcNow(), out var isThrottled) is not null)
            {
                acted++;
            }
            else if (isThrottled)
            {
                throttled++;
            }
        }
        // Each cancel acted on opens a database connection: a burst, not one per packet.
        Assert.Equal(Ferry.Protocol.Postgres.CancelRate.Burst, acted);
        Assert.Equal(2000 - acted, throttled);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(registry.TryBegin(pid, secret, clock.GetUtcNow(), out _));
    }

    [Fact]
    public void AnUnknownKey_IsNotThrottled_ButUnknown()
    {
        var registry = new CancelRegistry();
        var (pid, secret) = registry.Register(Target());
        Assert.Null(registry.TryBegin(pid + 1, secret, DateTimeOffset.UtcNow, out var throttled));
        Assert.False(throttled);
        registry.Remove(pid, secret);
        Assert.Null(registry.TryBegin(pid, secret, DateTimeOffset.UtcNow, out throttled));
        Assert.False(throttled);
    }
}
