using System.Net;
using Ferry.Proxy;

namespace Ferry.Proxy.Tests;

public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void OneSourceAtItsCap_IsRefused_WhileOthersStillConnect()
    {
        var limiter = new ConnectionLimiter(maxTotal: 100, maxPerSource: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(limiter.TryAcquire(A));
        }
        Assert.Equal("source_connection_limit", limiter.TryAcquire(A));
        Assert.Null(limiter.TryAcquire(B));
        Assert.Equal(4, limiter.Total);
        limiter.Release(A);
        Assert.Null(limiter.TryAcquire(A));
    }

    [Fact]
    public void TheTotalCap_RefusesEveryone_UntilASlotIsReleased()
    {
        var limiter = new ConnectionLimiter(maxTotal: 2, maxPerSource: 10);
        Assert.Null(limiter.TryAcquire(A));
        Assert.Null(limiter.TryAcquire(B));
        Assert.Equal("connection_limit", limiter.TryAcquire(B));
        Assert.Equal(2, limiter.Total);
        limiter.Release(A);
        Assert.Equal(0, limiter.CountFor(A));
        Assert.Null(limiter.TryAcquire(B));
        Assert.Equal(2, limiter.CountFor(B));
    }
}
