using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent.Tests.Sessions;

/// <summary>
/// A lock of kind <c>access_request</c> covers exactly the certificates that name the request: live sessions that rely on
/// a dropped grant end, others carry on; an elevated session's expiry and audit events name the request.
/// </summary>
public sealed class AccessRequestEnforcementTests
{
    private const string Dropped = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    private const string Other = "0193a1b2-c3d4-7e5f-8a9b-ffffffffffff";

    private static UserIdentity Alice(params string[] requests) => new()
    {
        User = "alice",
        ClusterName = "c1",
        Roles = ["dev", "db-admin"],
        AccessRequestIds = requests,
    };

    private static LockInfo RequestLock(string id, DateTimeOffset? expires = null) => new()
    {
        Id = "l-" + id,
        Kind = LockTargetKind.AccessRequest,
        Target = id,
        Message = "dropped by alice: done",
        ExpiresAt = expires,
    };

    private static async IAsyncEnumerable<LockWatchEvent> Read(ChannelReader<LockWatchEvent> reader, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in reader.ReadAllAsync(ct))
        {
            yield return e;
        }
    }

    /// <summary>A follower that has synced with <paramref name="locks"/>.</summary>
    private static async Task<(LockFollower Follower, Task Run, CancellationTokenSource Stop)> SyncedFollowerAsync(params LockInfo[] locks)
    {
        var events = Channel.CreateUnbounded<LockWatchEvent>();
        var follower = new LockFollower(ct => Read(events.Reader, ct), _ => { });
        var changes = Channel.CreateUnbounded<bool>();
        follower.Changed += () => changes.Writer.TryWrite(true);
        var stop = new CancellationTokenSource();
        var run = follower.RunAsync(stop.Token);
        foreach (var l in locks)
        {
            events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Put, Lock = l });
        }

        events.Writer.TryWrite(new LockWatchEvent { Type = LockWatchEvent.Synced });
        await changes.Reader.ReadAsync();
        return (follower, run, stop);
    }

    [Fact]
    public async Task ALockOnAnAccessRequest_CoversOnlyCertificatesNamingIt_AndSaysWhich()
    {
        var (follower, run, stop) = await SyncedFollowerAsync(RequestLock(Dropped));

        var reason = follower.FindLock(Alice(Other, Dropped), "pg-prod");
        Assert.NotNull(reason);
        Assert.Contains($"access request {Dropped} has ended: dropped by alice: done", reason, StringComparison.Ordinal);
        Assert.Null(follower.FindLock(Alice(), "pg-prod"));
        Assert.Null(follower.FindLock(Alice(Other), "pg-prod"));
        // The request id is not a user, role or database name: a user, role or database lock check never matches it.
        Assert.Null(follower.FindLock(Dropped, [Dropped], Dropped));

        await stop.CancelAsync();
        await run;
        stop.Dispose();
    }

    [Fact]
    public void AnExpiredAccessRequestLock_NoLongerCovers_AndIdsCompareExactly()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Null(LockFollower.FindAccessRequestLock([RequestLock(Dropped, now.AddSeconds(-1))], [Dropped], now));
        Assert.NotNull(LockFollower.FindAccessRequestLock([RequestLock(Dropped, now.AddMinutes(1))], [Dropped], now));
        Assert.Null(LockFollower.FindAccessRequestLock([RequestLock(Dropped)], [Dropped.ToUpperInvariant()], now));
        Assert.Null(LockFollower.FindAccessRequestLock([RequestLock(Dropped)], [Dropped[..^1]], now));
        var userLock = new LockInfo { Id = "u", Kind = LockTargetKind.User, Target = Dropped };
        Assert.Null(LockFollower.FindAccessRequestLock([userLock], [Dropped], now));
    }

    [Fact]
    public async Task EnforcingLocks_EndsTheLiveSessionsOfTheDroppedRequestOnly()
    {
        var (follower, run, stop) = await SyncedFollowerAsync(RequestLock(Dropped));
        var sessions = new LiveSessions();
        var elevated = new LiveSession("s1", Alice(Dropped), "pg-prod");
        var otherGrant = new LiveSession("s2", Alice(Other), "pg-prod");
        var ordinary = new LiveSession("s3", Alice(), "pg1");
        sessions.Add(elevated);
        sessions.Add(otherGrant);
        sessions.Add(ordinary);

        Assert.Equal(1, sessions.EnforceLocks(new LockAuthority(follower)));

        Assert.Equal(SessionEndReason.Lock, elevated.EndReason);
        Assert.Contains($"access request {Dropped} has ended", elevated.EndMessage, StringComparison.Ordinal);
        Assert.True(elevated.Terminated.IsCancellationRequested);
        Assert.Null(otherGrant.EndReason);
        Assert.Null(ordinary.EndReason);

        await stop.CancelAsync();
        await run;
        stop.Dispose();
    }

    [Fact]
    public void TheExpiryMessage_NamesTheAccessRequests_OfAnElevatedCertificate()
    {
        Assert.Equal("your certificate expired: run `ferry login`", AgentSession.ExpiryMessage(Alice()));
        Assert.StartsWith($"access request {Dropped} has expired", AgentSession.ExpiryMessage(Alice(Dropped)), StringComparison.Ordinal);
        Assert.StartsWith($"access requests {Other}, {Dropped} have expired", AgentSession.ExpiryMessage(Alice(Other, Dropped)), StringComparison.Ordinal);
    }

    [Fact]
    public void SessionEvents_OfAnElevatedSession_CarryTheAccessRequestIds()
    {
        var factory = new AuditEventFactory(new AuditOrigin("c1", "agent-1", "agent-1"), TimeProvider.System);
        var elevated = factory.SessionStarted(new DbSessionSubject("alice", ["db-admin"], "127.0.0.1:5000", "s1", "pg-prod", AccessRequestIds: [Dropped]));
        var json = JsonSerializer.Serialize(elevated, AuditJsonContext.Default.AuditEvent);
        Assert.Contains($"\"access_request_ids\":[\"{Dropped}\"]", json, StringComparison.Ordinal);
        Assert.True(new AuditQuery { Contains = Dropped[..13] }.Matches(elevated));

        var ordinary = factory.SessionEnded(new DbSessionSubject("alice", ["dev"], AccessRequestIds: []), SessionEndReason.ClientClosed, null, 1, 2, TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("access_request_ids", JsonSerializer.Serialize(ordinary, AuditJsonContext.Default.AuditEvent), StringComparison.Ordinal);
        Assert.False(new AuditQuery { Contains = Dropped[..13] }.Matches(ordinary));
    }

    /// <summary>The lock half of an authority, over a real <see cref="LockFollower"/> (as both agent hosts wire it).</summary>
    private sealed class LockAuthority(LockFollower locks) : IAgentAuthority
    {
        public IdentityVerifier UserVerifier => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct) => throw new NotSupportedException();

        public ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, string dbName, ReadOnlyMemory<byte> userCertificate, CancellationToken ct) =>
            throw new NotSupportedException();

        public ValueTask<X509Certificate2> GetHealthCheckCertificateAsync(string database, string dbUser, CancellationToken ct) => throw new NotSupportedException();

        public string? FindLock(UserIdentity identity, string database) => locks.FindLock(identity, database);
    }
}
