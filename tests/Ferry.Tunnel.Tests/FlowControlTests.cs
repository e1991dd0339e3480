using System.Diagnostics;
using Ferry.Tunnel.FlowControl;

namespace Ferry.Tunnel.Tests;

public sealed class FlowControlTests
{
    private const uint Initial = 256 * 1024;
    private const uint Max = 16 * 1024 * 1024;
    private static readonly long Rtt = Stopwatch.Frequency / 100; // 10 ms in Stopwatch ticks

    [Fact]
    public void FlowWindow_ConsumeBeyondAvailable_IsRefusedAndTakesNothing()
    {
        var window = new FlowWindow(Initial);
        Assert.True(window.TryConsume(Initial - 1));
        Assert.False(window.TryConsume(2));
        Assert.Equal(1, window.Available);
    }

    [Fact]
    public void FlowWindow_IncreasePastWireLimit_IsRefused()
    {
        var window = new FlowWindow(Initial);
        Assert.False(window.TryIncrease(uint.MaxValue));
        Assert.True(window.TryIncrease(uint.MaxValue - Initial));
        Assert.Equal(uint.MaxValue, window.Available);
    }

    [Fact]
    public void Policy_BelowHalfWindow_BatchesWithoutUpdate()
    {
        var policy = new ReceiveWindowPolicy(Max);
        Assert.Equal(0u, policy.OnConsumedUnsynchronized(Initial / 2 - 1, now: 1000, Rtt));
        Assert.Equal(Initial / 2 - 1, policy.Unacknowledged);
        Assert.Equal(Initial / 2, policy.OnConsumedUnsynchronized(1, now: 1001, Rtt));
        Assert.Equal(0u, policy.Unacknowledged);
    }

    [Fact]
    public void Policy_HalfWindowConsumedWithinFewRtts_DoublesAndAddsGrowthToDelta()
    {
        var policy = new ReceiveWindowPolicy(Max);
        long now = 1_000_000;
        Assert.Equal(Initial / 2, policy.OnConsumedUnsynchronized(Initial / 2, now, Rtt)); // first epoch: no history yet

        now += Rtt / 2;
        uint delta = policy.OnConsumedUnsynchronized(Initial / 2, now, Rtt);

        Assert.Equal(2 * Initial, policy.WindowSize);
        Assert.Equal(Initial / 2 + Initial, delta);
    }

    [Fact]
    public void Policy_SlowConsumer_KeepsTheWindow()
    {
        var policy = new ReceiveWindowPolicy(Max);
        long now = 1_000_000;
        for (int i = 0; i < 10; i++)
        {
            now += 5 * Rtt; // slower than the 4-RTT growth threshold
            Assert.Equal(Initial / 2, policy.OnConsumedUnsynchronized(Initial / 2, now, Rtt));
        }

        Assert.Equal(Initial, policy.WindowSize);
    }

    [Fact]
    public void Policy_UnknownRtt_NeverGrows()
    {
        var policy = new ReceiveWindowPolicy(Max);
        for (int i = 0; i < 10; i++)
        {
            policy.OnConsumedUnsynchronized(Initial / 2, now: 1000 + i, rttTicks: 0);
        }

        Assert.Equal(Initial, policy.WindowSize);
    }

    [Fact]
    public void Policy_FastConsumer_GrowsToTheMaximumAndNoFurther()
    {
        var policy = new ReceiveWindowPolicy(Max);
        long now = 1_000_000;
        long credited = 0;
        for (int i = 0; i < 40; i++)
        {
            now += 1;
            credited += policy.OnConsumedUnsynchronized(policy.WindowSize / 2, now, Rtt);
        }

        Assert.Equal(Max, policy.WindowSize);
        Assert.True(credited > Max);
    }
}
