using Ferry.Hosting;

namespace Ferry.Proxy.Tests;

/// <summary>When a ferryd or ferry-agent compacts its heap to give memory back (<see cref="IdleCompactionPolicy"/>).</summary>
public sealed class IdleCompactionPolicyTests
{
    private const long MiB = 1L << 20;

    private static IdleCompactionPolicy Policy() => new() { GrowthBytes = 8 * MiB, QuietBytes = 4 * MiB, MinSpacingMs = 15_000 };

    [Fact]
    public void AQuietPeriodAfterABurstThatGrewTheProcess_Compacts_Once()
    {
        var p = Policy();
        Assert.False(p.ShouldCompact(0, 20 * MiB, 0));                // the first look only takes the baselines
        Assert.False(p.ShouldCompact(60 * MiB, 70 * MiB, 5_000));      // busy: 60 MiB allocated in the period
        Assert.True(p.ShouldCompact(61 * MiB, 70 * MiB, 10_000));      // quiet, 50 MiB larger than at start
        p.Compacted(30 * MiB, 10_000);
        Assert.False(p.ShouldCompact(62 * MiB, 30 * MiB, 40_000));     // still quiet, nothing new to give back
        Assert.False(p.ShouldCompact(63 * MiB, 36 * MiB, 600_000));    // grew, but less than 8 MiB
    }

    [Fact]
    public void WhileTrafficFlows_ItNeverCompacts()
    {
        var p = Policy();
        long allocated = 0;
        p.ShouldCompact(allocated, 20 * MiB, 0);
        for (var t = 1; t <= 100; t++)
        {
            allocated += 5 * MiB; // 5 MiB every period: busy
            Assert.False(p.ShouldCompact(allocated, (20 + t) * MiB, t * 5_000L));
        }
    }

    [Fact]
    public void AProcessThatDidNotGrow_IsNotCompacted()
    {
        var p = Policy();
        p.ShouldCompact(0, 20 * MiB, 0);
        long allocated = 0;
        for (var t = 1; t <= 50; t++)
        {
            allocated += 3 * MiB; // quiet periods (heartbeats, reports): plenty allocated in all, but the process stays the size it was
            Assert.False(p.ShouldCompact(allocated, 27 * MiB, t * 5_000L));
        }
    }

    [Fact]
    public void ANewBurst_CompactsAgain_NoSoonerThanTheSpacing()
    {
        var p = Policy();
        p.ShouldCompact(0, 20 * MiB, 0);
        Assert.True(p.ShouldCompact(1 * MiB, 40 * MiB, 5_000));
        p.Compacted(25 * MiB, 5_000);
        p.ShouldCompact(50 * MiB, 60 * MiB, 10_000);                   // a second burst
        Assert.False(p.ShouldCompact(50 * MiB, 60 * MiB, 15_000));     // quiet, but only 10 s after the last compaction
        Assert.True(p.ShouldCompact(50 * MiB, 60 * MiB, 20_000));      // 15 s after it
    }
}
