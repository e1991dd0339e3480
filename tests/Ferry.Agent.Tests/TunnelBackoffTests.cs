using Ferry.Protocol.Postgres;

namespace Ferry.Agent.Tests;

/// <summary>
/// The agent's reconnect delay: full jitter under a ceiling that doubles from 200 ms per failed attempt up to 3 s, so the
/// agents of a restarted proxy spread their reconnects over up to 3 s; and the cancel keys it mints carry its routing tag.
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
        Assert.Equal(TimeSpan.FromSeconds(3), TunnelBackoff.Ceiling(int.MaxValue));
        Assert.Equal(TimeSpan.FromMilliseconds(200), TunnelBackoff.Ceiling(-5));
    }

    [Fact]
    public void TheDelay_IsTheRandomFractionOfTheCeiling_SpreadFromZero()
    {
        Assert.Equal(TimeSpan.Zero, TunnelBackoff.Delay(10, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), TunnelBackoff.Delay(10, 0.5));
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
