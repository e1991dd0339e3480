using Ferry.Proxy;

namespace Ferry.Proxy.Tests;

public sealed class AuditAggregatorTests
{
    [Fact]
    public void AFlood_IsReportedOnceAtOnce_ThenAsOneSummaryWithItsCount()
    {
        var clock = ManualClock.AtNow();
        var aggregator = new AuditAggregator(clock, TimeSpan.FromMinutes(1));
        var key = new AggregateKey("tls_required", "postgres", "10.0.0.1");
        Assert.True(aggregator.Occurred(key, out var suppressed));
        Assert.Equal(0, suppressed);
        for (var i = 0; i < 999; i++)
        {
            Assert.False(aggregator.Occurred(key, out _));
        }
        // Another source is reported on its own.
        Assert.True(aggregator.Occurred(key with { Source = "10.0.0.2" }, out _));
        Assert.Empty(aggregator.Flush());
        clock.Advance(TimeSpan.FromMinutes(1));
        var due = Assert.Single(aggregator.Flush());
        Assert.Equal((key, 999), due);
        // Quiet keys are forgotten after a window without occurrences.
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(aggregator.Flush());
        Assert.Equal(0, aggregator.Count);
    }

    [Fact]
    public void ANewOccurrenceAfterTheWindow_IsReportedWithTheCountOfTheSuppressedOnes()
    {
        var clock = ManualClock.AtNow();
        var aggregator = new AuditAggregator(clock, TimeSpan.FromMinutes(1));
        var key = new AggregateKey("bad_startup", "mysql", "10.0.0.1");
        aggregator.Occurred(key, out _);
        aggregator.Occurred(key, out _);
        aggregator.Occurred(key, out _);
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(aggregator.Occurred(key, out var suppressed));
        Assert.Equal(2, suppressed);
    }

    [Fact]
    public void ManySources_AreBoundedByOneOverflowKey()
    {
        var aggregator = new AuditAggregator(ManualClock.AtNow(), TimeSpan.FromMinutes(1));
        for (var i = 0; i < AuditAggregator.MaxKeys + 5000; i++)
        {
            aggregator.Occurred(new AggregateKey("tls_required", "postgres", $"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"), out _);
        }
        Assert.Equal(AuditAggregator.MaxKeys + 1, aggregator.Count);
    }
}
