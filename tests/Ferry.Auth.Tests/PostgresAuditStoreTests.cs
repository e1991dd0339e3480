using System.Globalization;
using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
using Npgsql;

namespace Ferry.Auth.Tests;

/// <summary>
/// The audit store on a real PostgreSQL server (<see cref="PostgresAuditStore"/>): one hash chain across two stores
/// ("two auth servers") appending at once, duplicates dropped, tampering by a superuser found by verify, the same search
/// answers as the segment store, retention that verify still understands.
/// </summary>
public sealed class PostgresAuditStoreTests(PostgresBackendServer pg) : IClassFixture<PostgresBackendServer>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private string _conn = "";

    public async Task InitializeAsync() => _conn = await pg.NewDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static AuditEvent Query(int i, string user = "alice", string db = "pg1", string? session = null, DateTimeOffset? time = null, string? query = null) => new()
    {
        Id = AuditEventId.New(time ?? T0.AddMilliseconds(i)),
        Time = time ?? T0.AddMilliseconds(i),
        Type = AuditEventTypes.DbSessionQuery,
        Code = AuditEventKinds.DbSessionQuery.Code,
        Cluster = "main",
        User = user,
        Roles = ["dba"],
        SessionId = session ?? "sess-" + (i % 7).ToString(CultureInfo.InvariantCulture),
        ServerId = "agent-1",
        DbService = db,
        DbProtocol = "postgres",
        DbUser = "app",
        DbName = "shop",
        Query = query ?? $"SELECT {i} FROM items WHERE id = $1",
        DurationUs = 100 + i,
    };

    private async Task<long> ScalarAsync(string sql)
    {
        await using var c = new NpgsqlConnection(_conn);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs SQL as the fixture's superuser with the append-only trigger switched off (what an attacker with superuser can do).</summary>
    private async Task TamperAsync(string sql)
    {
        await using var c = new NpgsqlConnection(_conn);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"BEGIN; ALTER TABLE ferry_audit DISABLE TRIGGER USER; {sql}; ALTER TABLE ferry_audit ENABLE TRIGGER USER; COMMIT;", c);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task TwoStoresAppendingAtOnce_OneContiguousChain_ReshippedBatchesStoredOnce()
    {
        using var a = PostgresAuditStore.Open(_conn);
        using var b = PostgresAuditStore.Open(_conn);
        const int Batches = 20;
        const int PerBatch = 25;
        var batches = Enumerable.Range(0, 2 * Batches)
            .Select(n => (IReadOnlyList<AuditEvent>)[.. Enumerable.Range(n * PerBatch, PerBatch).Select(i => Query(i))])
            .ToList();

        // Server a ships the even batches, b the odd ones; each also re-ships (a crash before the acknowledgement) the
        // other's batches, so every batch reaches the table at least twice, from both servers, concurrently.
        var stored = await Task.WhenAll(new[] { a, b }.Select((store, w) => Task.Run(() =>
        {
            var n = 0;
            for (var k = 0; k < 2 * Batches; k++)
            {
                n += store.Append(batches[(k + w) % (2 * Batches)]);
            }

            return n;
        })));

        Assert.Equal(2 * Batches * PerBatch, stored.Sum());
        Assert.Equal(2 * Batches * PerBatch, await ScalarAsync("SELECT count(*) FROM ferry_audit"));
        Assert.Equal(2 * Batches * PerBatch, await ScalarAsync("SELECT count(DISTINCT id) FROM ferry_audit"));
        Assert.Equal(2 * Batches * PerBatch, await ScalarAsync("SELECT max(seq) FROM ferry_audit"));
        Assert.Equal(0, a.Append(batches[3]));
        Assert.Equal(0, b.Append([.. batches[5], .. batches[5]]));

        var result = a.Verify();
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(2 * Batches * PerBatch, result.EventsChecked);
        Assert.True(PostgresAuditStore.VerifyDatabase(_conn).Ok);
    }

    [Fact]
    public async Task Verify_NamesTheFirstEditedEvent_EvenWhenASuperuserBypassesTheTrigger()
    {
        using var store = PostgresAuditStore.Open(_conn);
        var events = Enumerable.Range(0, 20).Select(i => Query(i)).ToList();
        store.Append(events);
        Assert.True(store.Verify().Ok);

        // The role ferryd uses cannot change a stored event: the trigger refuses UPDATE and DELETE.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync("UPDATE ferry_audit SET user_name = 'x' WHERE seq = 3 RETURNING seq"));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync("DELETE FROM ferry_audit WHERE seq = 3 RETURNING seq"));

        // A superuser edits the statement text of event seq 7 (the hash column left as it was).
        await TamperAsync("UPDATE ferry_audit SET event = convert_to(replace(convert_from(event, 'UTF8'), 'SELECT 6 ', 'SELECT 66 '), 'UTF8') WHERE seq = 7");
        var broken = store.Verify();
        Assert.False(broken.Ok);
        Assert.Equal(7, broken.FirstBroken!.Sequence!.Value);
        Assert.Equal(events[6].Id, broken.FirstBroken.EventId);
        Assert.Contains("chain hash mismatch", broken.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Equal(6, broken.EventsChecked);
    }

    [Fact]
    public async Task Verify_FindsAnEditedSearchColumn_ARecomputedHash_ADeletedRowAndARemovedTail()
    {
        using var store = PostgresAuditStore.Open(_conn);
        store.Append([.. Enumerable.Range(0, 10).Select(i => Query(i))]);

        // Only the indexed copy of the user changed: the event would disappear from searches for alice.
        await TamperAsync("UPDATE ferry_audit SET user_name = 'mallory' WHERE seq = 4");
        var column = store.Verify();
        Assert.False(column.Ok);
        Assert.Equal(4, column.FirstBroken!.Sequence!.Value);
        Assert.Contains("user_name", column.FirstBroken.Reason, StringComparison.Ordinal);
        await TamperAsync("UPDATE ferry_audit SET user_name = 'alice' WHERE seq = 4");
        Assert.True(store.Verify().Ok);

        // The event and its own hash rewritten consistently: the next event's hash no longer follows.
        await TamperAsync("""
            UPDATE ferry_audit SET event = convert_to(replace(convert_from(event, 'UTF8'), 'SELECT 1 ', 'SELECT 9 '), 'UTF8') WHERE seq = 2;
            UPDATE ferry_audit SET search_upper = replace(search_upper, 'SELECT 1 ', 'SELECT 9 '), hash = sha256((SELECT hash FROM ferry_audit WHERE seq = 1) || event) WHERE seq = 2
            """);
        var rehashed = store.Verify();
        Assert.False(rehashed.Ok);
        Assert.Equal(3, rehashed.FirstBroken!.Sequence!.Value);
    }

    [Fact]
    public async Task AppendAsync_BehindAStuckLockHolder_FailsWithLockTimeoutInsteadOfWaiting_ThenAppendsOnceFreed()
    {
        using var store = PostgresAuditStore.Open(_conn, lockTimeout: TimeSpan.FromMilliseconds(200));
        await store.AppendAsync([Query(0)], CancellationToken.None);

        // Another session (an auth server that hangs, or a dead one PostgreSQL has not noticed yet) holds the append lock
        // in an open transaction.
        await using (var holder = new NpgsqlConnection(_conn))
        {
            await holder.OpenAsync();
            await using var tx = await holder.BeginTransactionAsync();
            await using (var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7378429400504694116)", holder, tx))
            {
                await cmd.ExecuteNonQueryAsync();
            }

            // A bounded wait for the test itself: without lock_timeout the append would queue behind the holder.
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => store.AppendAsync([Query(1)], guard.Token));
            Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
            Assert.False(guard.IsCancellationRequested);
            await tx.RollbackAsync();
        }

        Assert.Equal(1, await store.AppendAsync([Query(1)], CancellationToken.None));
        Assert.Equal(2, await ScalarAsync("SELECT count(*) FROM ferry_audit"));
        Assert.True(store.Verify().Ok);
        var found = await store.SearchAsync(new AuditQuery { User = "alice" }, CancellationToken.None);
        Assert.Equal(2, found.Count);
    }

    [Fact]
    public async Task Verify_FindsADeletedRow_AndEventsRemovedFromTheEnd()
    {
        using var store = PostgresAuditStore.Open(_conn);
        store.Append([.. Enumerable.Range(0, 10).Select(i => Query(i))]);
        await TamperAsync("DELETE FROM ferry_audit WHERE seq = 5");
        var gap = store.Verify();
        Assert.False(gap.Ok);
        Assert.Equal(5, gap.FirstBroken!.Sequence!.Value);
        Assert.Contains("missing", gap.FirstBroken.Reason, StringComparison.Ordinal);

        var other = await pg.NewDatabaseAsync();
        using var second = PostgresAuditStore.Open(other);
        second.Append([.. Enumerable.Range(0, 10).Select(i => Query(i))]);
        await using (var c = new NpgsqlConnection(other))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("ALTER TABLE ferry_audit DISABLE TRIGGER USER; DELETE FROM ferry_audit WHERE seq >= 9; ALTER TABLE ferry_audit ENABLE TRIGGER USER", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var tail = second.Verify();
        Assert.False(tail.Ok);
        Assert.Contains("removed from the end", tail.FirstBroken!.Reason, StringComparison.Ordinal);
        Assert.Equal(8, tail.EventsChecked);
    }

    [Fact]
    public void Search_AnswersLikeTheSegmentStore()
    {
        using var dir = new TempDirectory();
        using var segments = AuditStore.Open(dir.Path, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = 4 * 1024, MaxSegmentAge = TimeSpan.FromDays(365) });
        using var table = PostgresAuditStore.Open(_conn);
        var events = new List<AuditEvent>();
        for (var i = 0; i < 150; i++)
        {
            var user = i % 3 == 0 ? "alice" : "bob";
            var db = i % 4 == 0 ? "pg1" : "my1";
            var query = i % 10 == 0 ? $"DELETE FROM t WHERE id = {i}" : i % 13 == 0 ? $"select 'Straße' || {i}" : $"select {i}";
            // Several events share a time: ties keep storage order in both stores.
            events.Add(Query(i, user, db, session: "s" + (i % 5), time: T0.AddSeconds(i / 3), query: query));
        }

        events.Add(new AuditEvent
        {
            Id = AuditEventId.New(),
            Time = T0.AddSeconds(20),
            Type = AuditEventTypes.UserLogin,
            Code = AuditEventKinds.UserLoginFailure.Code,
            User = "mallory",
            Success = false,
            Error = "bad password",
            Details = new Dictionary<string, string> { ["method"] = "Password" },
        });
        events.Add(new AuditEvent { Id = AuditEventId.New(), Time = T0.AddSeconds(21), Type = AuditEventTypes.DbSessionQuery, User = "nul", Query = "select '\0'" });

        // Delivered out of time order, in the same batches to both.
        foreach (var batch in new[] { events.Skip(70).ToList(), events.Take(70).ToList() })
        {
            segments.Append(batch);
            table.Append(batch);
        }

        AuditQuery[] queries =
        [
            new() { Limit = 0 },
            new(),
            new() { Limit = 7 },
            new() { User = "alice" },
            new() { User = "alice", Limit = 5 },
            new() { Database = "pg1" },
            new() { Database = "shop", Limit = 0 },
            new() { Type = AuditEventTypes.UserLogin },
            new() { SessionId = "s3", Since = T0.AddSeconds(10), Until = T0.AddSeconds(30) },
            new() { Since = T0.AddSeconds(5), Until = T0.AddSeconds(6) },
            new() { Contains = "delete from" },
            new() { Contains = "DELETE", User = "bob", Limit = 3 },
            new() { Contains = "STRASSE" },
            new() { Contains = "straße" },
            new() { Contains = "password" },
            new() { Contains = "\0" },
            new() { Contains = "nothing like it" },
            new() { User = "nobody" },
        ];
        foreach (var q in queries)
        {
            var expected = segments.Search(q).Select(e => e.Id).ToList();
            var actual = table.Search(q).Select(e => e.Id).ToList();
            Assert.True(expected.SequenceEqual(actual), $"{q}: segments {expected.Count} events, postgres {actual.Count}");
        }

        Assert.Equal(152, table.Search(new AuditQuery { Limit = 0 }).Count);
        Assert.Equal(5, table.Search(new AuditQuery { Contains = "delete from", User = "alice" }).Count);
    }

    [Fact]
    public async Task Retention_RemovesOldEventsAsOneRange_KeepsTheAnchor_AndVerifyStillPasses()
    {
        var clock = new Ferry.Testing.ManualClock(T0.AddDays(10));
        using var store = PostgresAuditStore.Open(_conn, retention: TimeSpan.FromDays(5), time: clock);
        store.Append([.. Enumerable.Range(0, 30).Select(i => Query(i, time: T0.AddMinutes(i)))]);
        store.Append([.. Enumerable.Range(30, 10).Select(i => Query(i, time: T0.AddDays(8).AddMinutes(i)))]);

        store.Maintain();
        Assert.Equal(11, await ScalarAsync("SELECT count(*) FROM ferry_audit"));
        Assert.Equal(31, await ScalarAsync("SELECT anchor_seq FROM ferry_audit_chain"));
        Assert.Equal(30, await ScalarAsync("SELECT dropped_events FROM ferry_audit_chain"));
        var note = Assert.Single(store.Search(new AuditQuery { Type = AuditEventTypes.AuditRetention, Limit = 0 }));
        Assert.Equal("30", note.Details!["events"]);
        var ok = store.Verify();
        Assert.True(ok.Ok, ok.ToString());
        Assert.Equal(11, ok.EventsChecked);

        // Nothing more is old enough: a second pass removes nothing and appends nothing.
        store.Maintain();
        Assert.Equal(11, await ScalarAsync("SELECT count(*) FROM ferry_audit"));

        // The retention path is the only DELETE the trigger lets through; removing the first kept event by hand is found.
        await TamperAsync("DELETE FROM ferry_audit WHERE seq = 31");
        var broken = store.Verify();
        Assert.False(broken.Ok);
        Assert.Equal(31, broken.FirstBroken!.Sequence!.Value);
    }
}
