using System.Net;
using Ferry.Proxy;

namespace Ferry.Proxy.Tests;

public sealed class ProxyCancelMapTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Attacker = IPAddress.Parse("10.0.0.2");
    private static readonly byte[] Secret = [1, 2, 3, 4];

    [Fact]
    public void JunkCancelsFromAnAddress_DoNotBlockTheValidCancelsOfSessionsFromThatAddress()
    {
        var map = new ProxyCancelMap(ManualClock.AtNow());
        map.Add(42, Secret, "agent", "pg1", Client);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(CancelDecision.UnknownKey, map.Decide(Client, 1000 + i, [9, 9, 9, 9], out _, out _));
        }
        Assert.Equal(CancelDecision.Forward, map.Decide(Client, 42, Secret, out var agent, out var database));
        Assert.Equal(("agent", "pg1"), (agent, database));
    }

    [Fact]
    public void AnAddressOverItsMissBudget_CannotCancelOtherAddressesSessions_ButAnAddressWithoutMissesCan()
    {
        var map = new ProxyCancelMap(ManualClock.AtNow());
        map.Add(42, Secret, "agent", "pg1", Client);
        for (var i = 0; i < ProxyCancelMap.MaxMissesPerMinute; i++)
        {
            Assert.Equal(CancelDecision.UnknownKey, map.Decide(Attacker, 1000 + i, [9, 9, 9, 9], out _, out _));
        }
        // A guess that happens to hit, after the budget: dropped.
        Assert.Equal(CancelDecision.Throttled, map.Decide(Attacker, 42, Secret, out _, out _));
        // Another address (no misses) cancelling the same session: forwarded.
        Assert.Equal(CancelDecision.Forward, map.Decide(IPAddress.Parse("10.0.0.3"), 42, Secret, out _, out _));
    }

    [Fact]
    public void ValidKeyCancels_AreRateLimitedPerKey_AndRefillWithTime()
    {
        var clock = ManualClock.AtNow();
        var map = new ProxyCancelMap(clock);
        map.Add(42, Secret, "agent", "pg1", Client);
        map.Add(43, Secret, "agent", "pg1", Client);
        var forwarded = 0;
        for (var i = 0; i < 2000; i++)
        {
            if (map.Decide(Client, 42, Secret, out _, out _) == CancelDecision.Forward)
            {
                forwarded++;
            }
        }
        Assert.Equal(Ferry.Protocol.Postgres.CancelRate.Burst, forwarded);
        // Another session's key is not affected.
        Assert.Equal(CancelDecision.Forward, map.Decide(Client, 43, Secret, out _, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CancelDecision.Forward, map.Decide(Client, 42, Secret, out _, out _));
        Assert.Equal(CancelDecision.Throttled, map.Decide(Client, 42, Secret, out _, out _));
    }

    [Fact]
    public void MissBudget_IsPerMinute()
    {
        var clock = ManualClock.AtNow();
        var map = new ProxyCancelMap(clock);
        map.Add(42, Secret, "agent", "pg1", Client);
        for (var i = 0; i < 50; i++)
        {
            map.Decide(Attacker, 1000 + i, [9, 9, 9, 9], out _, out _);
        }
        Assert.Equal(CancelDecision.Throttled, map.Decide(Attacker, 42, Secret, out _, out _));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(CancelDecision.Forward, map.Decide(Attacker, 42, Secret, out _, out _));
    }
}
