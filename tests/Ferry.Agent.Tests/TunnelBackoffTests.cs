using Ferry.Protocol.Postgres;
using Ferry.Testing;

namespace Ferry.Agent.Tests;

/// <summary>
/// The agent's reconnect delay: full jitter under a ceiling that doubles from 200 ms per failed attempt up to 3 s for the
/// first ten failures, so the agents of a restarted proxy spread their reconnects over 3 s, then on up to 30 s, so an
/// agent that keeps failing comes back less and less often;
/// the count starts over only after a tunnel stayed up; and the cancel keys it mints carry its routing tag.
/// </summary>
public sealed class TunnelBackoffTests
{
    [Fact]
    public void TheCeiling_DoublesPerAttempt_UpToTheCap()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), TunnelBackoff.Ceiling(0));
        Assert.Equal(TimeSpan.FromMilliseconds(400), TunnelBackoff.Ceiling(1));
        Assert.Equal(TimeSpan.FromMilliseconds(800), TunnelBackoff.Ceiling(2));
        Assert.Equal(TimeSpan.FromMilliseconds(1600), TunnelBackoff.Ceiling(3));
        Assert.Equal(TimeSpan.FromSeconds(3), TunnelBackoff.Ceiling(4));
        Assert.Equal(TimeSpan.FromSeconds(3), TunnelBackoff.Ceiling(TunnelBackoff.FastAttempts - 1));
        Assert.Equal(TimeSpan.FromSeconds(6), TunnelBackoff.Ceiling(TunnelBackoff.FastAttempts));
        Assert.Equal(TimeSpan.FromSeconds(12), TunnelBackoff.Ceiling(TunnelBackoff.FastAttempts + 1));
        Assert.Equal(TimeSpan.FromSeconds(24), TunnelBackoff.Ceiling(TunnelBackoff.FastAttempts + 2));
        Assert.Equal(TimeSpan.FromSeconds(30), TunnelBackoff.Ceiling(TunnelBackoff.FastAttempts + 3));
        Assert.Equal(TimeSpan.FromSeconds(30), TunnelBackoff.Ceiling(int.MaxValue));
        Assert.Equal(TimeSpan.FromMilliseconds(200), TunnelBackoff.Ceiling(-5));
    }

    [Fact]
    public void TheDelay_IsTheRandomFractionOfTheCeiling_SpreadFromZero()
    {
        Assert.Equal(TimeSpan.Zero, TunnelBackoff.Delay(10, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), TunnelBackoff.Delay(8, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(15), TunnelBackoff.Delay(20, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(100), TunnelBackoff.Delay(0, 0.5));
        Assert.True(TunnelBackoff.Delay(10, 0.999999) < TunnelBackoff.Cap);
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelBackoff.Delay(1, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelBackoff.Delay(1, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelBackoff.Delay(1, double.NaN));

        // 10,000 agents drawing uniformly after a restart: no 100 ms slice of the 3 s gets more than a small share.
        var random = new Random(24);
        var slices = new int[30];
        for (var i = 0; i < 10_000; i++)
        {
            slices[(int)(TunnelBackoff.Delay(8, random.NextDouble()).TotalMilliseconds / 100)]++;
        }

        Assert.All(slices, count => Assert.InRange(count, 200, 480));
    }

    [Fact]
    public void RepeatedFailures_GrowTheDelayToTheCap_WithFullJitter()
    {
        var backoff = new TunnelBackoff(ManualClock.AtNow(), () => 0.999_999);
        var delays = Enumerable.Range(0, 16).Select(_ => backoff.Next()).ToList();

        // Just under each ceiling: 200 ms, 400 ms … 3 s for ten failures, then 6, 12, 24 s and held at 30 s.
        for (var i = 0; i < delays.Count; i++)
        {
            Assert.InRange(delays[i], TunnelBackoff.Ceiling(i) * 0.999, TunnelBackoff.Ceiling(i));
        }
        Assert.True(delays[9] < TimeSpan.FromSeconds(3));
        Assert.True(delays[11] > TimeSpan.FromSeconds(11.9));
        Assert.True(delays[^1] > TimeSpan.FromSeconds(29.9));
        Assert.Equal(TimeSpan.Zero, new TunnelBackoff(ManualClock.AtNow(), () => 0).Next());
    }

    [Fact]
    public void TheCount_StartsOver_OnlyAfterATunnelStayedUp()
    {
        var clock = ManualClock.AtNow();
        var backoff = new TunnelBackoff(clock, () => 0.5);
        for (var i = 0; i < 12; i++)
        {
            backoff.Next();
        }

        // A tunnel that comes up and drops within StableAfter: the count goes on.
        backoff.Connected();
        clock.Advance(TunnelBackoff.StableAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(TunnelBackoff.Ceiling(12) / 2, backoff.Next());
        Assert.Equal(13, backoff.Attempt);

        // A tunnel that stayed up: the next failure starts from the base again.
        backoff.Connected();
        clock.Advance(TunnelBackoff.StableAfter);
        Assert.Equal(TunnelBackoff.Base / 2, backoff.Next());
        Assert.Equal(1, backoff.Attempt);
    }

    [Fact]
    public void MintedCancelKeys_CarryTheAgentsTag_AndStayUnique()
    {
        var registry = new CancelRegistry("edge-agent-7");
        var tag = CancelKeyRouting.Tag("edge-agent-7");
        Assert.InRange(tag, 1, 32767);
        Assert.Equal(tag, CancelKeyRouting.Tag("edge-agent-7"));
        var pids = new HashSet<(int, string)>();
        for (var i = 0; i < 1000; i++)
        {
            var (pid, secret) = registry.Register(new CancelTarget(null!, "alice", i, [1, 2, 3, 4], "s", "u"));
            Assert.Equal(tag, CancelKeyRouting.TagOf(pid));
            Assert.Equal(4, secret.Length);
            Assert.True(pids.Add((pid, Convert.ToHexString(secret))));
        }

        Assert.Equal(1000, registry.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => CancelKeyRouting.ProcessId(0));
    }
}
