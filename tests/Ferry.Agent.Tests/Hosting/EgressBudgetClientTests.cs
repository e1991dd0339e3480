using Ferry.Agent.Hosting;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;
using Ferry.Testing;

namespace Ferry.Agent.Tests.Hosting;

public sealed class EgressBudgetClientTests
{
    private static readonly UserIdentity Alice = new() { User = "alice", ClusterName = "main" };
    private static readonly EgressLimit ThousandRows = new(1000, null, TimeSpan.FromHours(24));

    /// <summary>The auth service's side, in memory: totals per user × database × window length, and whether it answers.</summary>
    private sealed class FakeAuth
    {
        public readonly Dictionary<(string, string, long, string), (long Rows, long Bytes)> Totals = [];
        public bool Down { get; set; }
        public int Calls { get; private set; }
        public DateTimeOffset WindowEnd { get; set; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public Task<EgressReportResponse> ExchangeAsync(EgressReport report, CancellationToken ct)
        {
            Calls++;
            if (Down)
            {
                throw new HttpRequestException("connection refused");
            }

            var answer = new EgressReportResponse();
            foreach (var u in report.Usage)
            {
                var key = (u.User, u.Database, u.PerSeconds, u.Grant);
                Totals.TryGetValue(key, out var t);
                t = (t.Rows + u.Rows, t.Bytes + u.Bytes);
                Totals[key] = t;
                answer.Usage.Add(new EgressUsageTotal { User = u.User, Database = u.Database, PerSeconds = u.PerSeconds, Rows = t.Rows, Bytes = t.Bytes, WindowEnd = WindowEnd });
            }

            return Task.FromResult(answer);
        }
    }

    private static EgressBudgetClient Client(FakeAuth auth, ManualClock clock) =>
        new(auth.ExchangeAsync, _ => { }, clock, new EgressBudgetOptions { FirstAnswerWait = TimeSpan.Zero });

    [Fact]
    public async Task Record_CrossingTheBudgetOnOneAgent_RefusesNewSessionsOnAnother()
    {
        var auth = new FakeAuth();
        var clock = new ManualClock(new DateTimeOffset(2029, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using var agentA = Client(auth, clock);
        using var agentB = Client(auth, clock);

        Assert.Null(agentA.Record(Alice, "pg1", ThousandRows, 600, 6000));
        await agentA.ExchangeOnceAsync();
        Assert.Null(agentB.Refusal(Alice, "pg1", ThousandRows)); // first sight: fetched below
        await agentB.ExchangeOnceAsync();
        Assert.Null(agentB.Refusal(Alice, "pg1", ThousandRows)); // 600 of 1000: a session may start

        var stop = agentB.Record(Alice, "pg1", ThousandRows, 401, 4010); // 1001 > 1000 across the two agents
        Assert.NotNull(stop);
        Assert.Contains("has taken 1001 of 1000 rows from pg1", stop, StringComparison.Ordinal);
        await agentB.ExchangeOnceAsync();
        Assert.Equal((1001L, 10_010L), auth.Totals[("alice", "pg1", 86_400, "")]);

        clock.Advance(TimeSpan.FromSeconds(3)); // past the refresh interval: agent A learns the total
        await agentA.ExchangeOnceAsync();
        var refusal = agentA.Refusal(Alice, "pg1", ThousandRows);
        Assert.NotNull(refusal);
        Assert.Contains("1001 of 1000 rows", refusal, StringComparison.Ordinal);
        Assert.Contains("2030-01-01T00:00:00Z", refusal, StringComparison.Ordinal);
        await agentA.ExchangeOnceAsync(); // bob's budget is fetched (FirstAnswerWait is 0 in these tests)
        Assert.Null(agentA.Refusal(new UserIdentity { User = "bob", ClusterName = "main" }, "pg1", ThousandRows)); // per user
    }

    [Fact]
    public async Task Window_MovingOn_LetsSessionsStartAgain()
    {
        var auth = new FakeAuth { WindowEnd = new DateTimeOffset(2029, 6, 2, 0, 0, 0, TimeSpan.Zero) };
        var clock = new ManualClock(new DateTimeOffset(2029, 6, 1, 12, 0, 0, TimeSpan.Zero));
        using var agent = Client(auth, clock);
        Assert.NotNull(agent.Record(Alice, "pg1", ThousandRows, 1500, 0));
        await agent.ExchangeOnceAsync();
        Assert.NotNull(agent.Refusal(Alice, "pg1", ThousandRows));

        clock.Now = new DateTimeOffset(2029, 6, 2, 0, 0, 1, TimeSpan.Zero);

        Assert.Null(agent.Refusal(Alice, "pg1", ThousandRows));
    }

    [Fact]
    public async Task AuthServiceAway_DeltasAreKeptAndSentLater_AndNearlySpentBudgetsFailClosed()
    {
        var auth = new FakeAuth();
        var clock = new ManualClock(new DateTimeOffset(2029, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using var agent = Client(auth, clock);
        Assert.Null(agent.Record(Alice, "pg1", ThousandRows, 100, 0));
        await agent.ExchangeOnceAsync();

        auth.Down = true;
        Assert.Null(agent.Record(Alice, "pg1", ThousandRows, 700, 0));
        Assert.False(await agent.ExchangeOnceAsync());
        Assert.Null(agent.Record(Alice, "pg1", ThousandRows, 50, 0));
        Assert.False(agent.Stale); // not away long enough yet: fail open

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.False(await agent.ExchangeOnceAsync());
        Assert.True(agent.Stale);
        Assert.Contains("unreachable", agent.Refusal(Alice, "pg1", ThousandRows), StringComparison.Ordinal); // 850 ≥ 80% of 1000
        Assert.Contains("unreachable", agent.Refusal(Alice, "mysql1", ThousandRows), StringComparison.Ordinal); // never seen: cannot tell
        Assert.Null(agent.Record(Alice, "pg1", ThousandRows with { Rows = 10_000 }, 0, 0)); // 850 of 10,000: still open

        auth.Down = false;
        Assert.True(await agent.ExchangeOnceAsync());
        Assert.Equal(850L, auth.Totals[("alice", "pg1", 86_400, "")].Rows); // nothing lost, nothing counted twice
        Assert.False(agent.Stale);
    }

    [Fact]
    public async Task SpentBudget_AnApprovedAccessRequest_GrantsAFreshBudget_OfItsOwn()
    {
        var auth = new FakeAuth();
        var clock = new ManualClock(new DateTimeOffset(2029, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using var agent = Client(auth, clock);
        Assert.NotNull(agent.Record(Alice, "pg1", ThousandRows, 1001, 0));
        await agent.ExchangeOnceAsync();
        Assert.NotNull(agent.Refusal(Alice, "pg1", ThousandRows));

        // The same user under two approved requests (named in either order): a budget of its own, from zero.
        var granted = new UserIdentity { User = "alice", ClusterName = "main", AccessRequestIds = ["r-2", "r-1", "r-2"] };
        Assert.Null(agent.Refusal(granted, "pg1", ThousandRows));
        await agent.ExchangeOnceAsync();
        Assert.Null(agent.Refusal(granted, "pg1", ThousandRows));
        Assert.Null(agent.Record(granted, "pg1", ThousandRows, 900, 0));
        await agent.ExchangeOnceAsync();
        Assert.Equal((900L, 0L), auth.Totals[("alice", "pg1", 86_400, "r-1,r-2")]);
        Assert.Equal((1001L, 0L), auth.Totals[("alice", "pg1", 86_400, "")]);
        Assert.NotNull(agent.Refusal(Alice, "pg1", ThousandRows)); // her own budget stays spent
        Assert.NotNull(agent.Record(granted, "pg1", ThousandRows, 101, 0)); // and the grant's runs out too
    }
}
