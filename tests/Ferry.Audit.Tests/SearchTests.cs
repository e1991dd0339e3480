namespace Ferry.Audit.Tests;

public sealed class SearchTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly AuditStore _store;

    public SearchTests()
    {
        _store = AuditStore.Open(_dir.Path, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = 4 * 1024, MaxSegmentAge = TimeSpan.FromDays(365) });
        var events = new List<AuditEvent>();
        for (int i = 0; i < 120; i++)
        {
            string user = i % 3 == 0 ? "alice" : "bob";
            string db = i % 4 == 0 ? "pg1" : "my1";
            string query = i % 10 == 0 ? $"DELETE FROM t WHERE id = {i}" : $"select {i}";
            events.Add(Events.Query(i, user, db, session: "s" + (i % 5), time: Events.T0.AddSeconds(i), query: query));
        }

        events.Add(new AuditEvent
        {
            Id = AuditEventId.New(),
            Time = Events.T0.AddSeconds(500),
            Type = AuditEventTypes.UserLogin,
            Code = AuditEventKinds.UserLoginFailure.Code,
            User = "mallory",
            Success = false,
            Error = "bad password",
            Details = new Dictionary<string, string> { ["method"] = "password" },
        });

        // Deliver out of time order, as shippers from several agents do.
        _store.Append([.. events.Skip(60)]);
        _store.Append([.. events.Take(60)]);
    }

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Search_WithNoFilter_ReturnsEverythingInTimeOrder()
    {
        IReadOnlyList<AuditEvent> all = _store.Search(new AuditQuery { Limit = 0 });

        Assert.Equal(121, all.Count);
        Assert.Equal(all.OrderBy(e => e.Time).Select(e => e.Id), all.Select(e => e.Id));
        Assert.True(_store.SealedSegmentCount > 1);
    }

    [Fact]
    public void Search_ByTimeRange_IncludesSinceAndExcludesUntil()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { Since = Events.T0.AddSeconds(10), Until = Events.T0.AddSeconds(20) });

        Assert.Equal(Enumerable.Range(10, 10).Select(i => Events.T0.AddSeconds(i)), r.Select(e => e.Time));
    }

    [Fact]
    public void Search_ByUser_ReturnsOnlyThatUser() =>
        Assert.Equal(40, _store.Search(new AuditQuery { User = "alice" }).Count(e => e.User == "alice"));

    [Fact]
    public void Search_ByUser_ReturnsNothingElse() =>
        Assert.All(_store.Search(new AuditQuery { User = "alice" }), e => Assert.Equal("alice", e.User));

    [Fact]
    public void Search_ByDatabase_MatchesServiceName()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { Database = "pg1" });

        Assert.Equal(30, r.Count);
        Assert.All(r, e => Assert.Equal("pg1", e.DbService));
    }

    [Fact]
    public void Search_ByType_ReturnsOnlyThatType()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { Type = AuditEventTypes.UserLogin });

        Assert.Equal("mallory", Assert.Single(r).User);
    }

    [Fact]
    public void Search_ByContains_IsCaseInsensitiveOverQueryErrorAndDetails()
    {
        Assert.Equal(12, _store.Search(new AuditQuery { Contains = "delete" }).Count);
        Assert.Equal("mallory", Assert.Single(_store.Search(new AuditQuery { Contains = "BAD PASSWORD" })).User);
    }

    [Fact]
    public void Search_BySession_ReturnsThatSessionOnly()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { SessionId = "s2" });

        Assert.Equal(24, r.Count);
        Assert.All(r, e => Assert.Equal("s2", e.SessionId));
    }

    [Fact]
    public void Search_WithLimit_ReturnsTheOldestMatches()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { User = "bob", Limit = 3 });

        Assert.Equal([Events.T0.AddSeconds(1), Events.T0.AddSeconds(2), Events.T0.AddSeconds(4)], r.Select(e => e.Time));
    }

    [Fact]
    public void Search_CombiningFilters_AppliesAllOfThem()
    {
        IReadOnlyList<AuditEvent> r = _store.Search(new AuditQuery { User = "alice", Database = "pg1", Contains = "DELETE", Since = Events.T0 });

        // i divisible by 3, 4 and 10: 0 and 60.
        Assert.Equal([Events.T0, Events.T0.AddSeconds(60)], r.Select(e => e.Time));
    }

    [Fact]
    public void Search_ForAnUnknownUser_SkipsEverySegmentAndFindsNothing() =>
        Assert.Empty(_store.Search(new AuditQuery { User = "nobody" }));
}
