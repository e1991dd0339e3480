using Ferry.Agent;

namespace Ferry.Agent.Tests.Sessions;

public sealed class SessionLimiterTests
{
    [Fact]
    public void TryAcquire_UpToTheLimit_ThenRefuses_PerUserAndDatabase()
    {
        var limiter = new SessionLimiter();
        using var a1 = limiter.TryAcquire("alice", "pg1", 2, out _);
        using var a2 = limiter.TryAcquire("alice", "pg1", 2, out _);
        Assert.NotNull(a1);
        Assert.NotNull(a2);

        Assert.Null(limiter.TryAcquire("alice", "pg1", 2, out var held));
        Assert.Equal(2, held);

        // Another database, another user: their own counts.
        using var other = limiter.TryAcquire("alice", "pg2", 2, out _);
        using var bob = limiter.TryAcquire("bob", "pg1", 2, out _);
        Assert.NotNull(other);
        Assert.NotNull(bob);
    }

    [Fact]
    public void Dispose_GivesTheSlotBackOnce_AndForgetsIdlePairs()
    {
        var limiter = new SessionLimiter();
        var slot = limiter.TryAcquire("alice", "pg1", 1, out _)!;
        slot.Dispose();
        slot.Dispose();
        Assert.Equal(0, limiter.CountOf("alice", "pg1"));

        using var next = limiter.TryAcquire("alice", "pg1", 1, out _);
        Assert.NotNull(next);
        using var unlimited = limiter.TryAcquire("alice", "pg1", null, out var held);
        Assert.NotNull(unlimited);
        Assert.Equal(1, held);
        Assert.Equal(2, limiter.CountOf("alice", "pg1"));
    }
}
