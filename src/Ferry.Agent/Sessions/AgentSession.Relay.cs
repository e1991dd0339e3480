using System.Diagnostics;
using Ferry.Agent.Postgres;
using Ferry.Audit;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent;

internal abstract partial class AgentSession
{
    private LiveSession? _live;

    /// <summary>The two directions of a session once started: client → database and database → client.</summary>
    protected readonly record struct RelayPair(Task<RelayEnd> ToDatabase, Task<RelayEnd> ToClient);

    /// <summary>True when the agent closed the session (a lock, the certificate's expiry).</summary>
    protected bool ClosedByAgent => _live?.EndReason is not null;

    /// <summary>Starts both directions; they stop when <paramref name="stop"/> is cancelled.</summary>
    protected abstract RelayPair StartRelays(CancellationToken stop);

    /// <summary>Both directions stopped because the agent closed the session: tell the client why, if it is at a message boundary.</summary>
    protected abstract Task NotifyClosedAsync(string message);

    /// <summary>Closes the database connection, which ends the other direction promptly.</summary>
    protected abstract ValueTask CloseDatabaseAsync();

    /// <summary>Bytes relayed so far to the database and to the client.</summary>
    protected abstract (long ToDatabase, long ToClient) RelayedBytes { get; }

    /// <summary>The error the end event records, if any.</summary>
    protected virtual string? EndError => null;

    /// <summary>
    /// A direction ended on its own; returns true when the session has ended cleanly and the database
    /// connection is left open (the PostgreSQL client's Terminate before a pooled connection is kept).
    /// </summary>
    protected virtual Task<bool> EndsCleanlyAsync(bool clientSide, RelayEnd end, RelayPair relays) => Task.FromResult(false);

    /// <summary>A direction ended on its own and the database connection will be closed: the reason to record.</summary>
    protected virtual Task<SessionEndReason> OnRelayEndedAsync(bool clientSide, RelayEnd end, SessionEndReason reason) => Task.FromResult(reason);

    /// <summary>Both directions have stopped and the end event is next: emit what the session still holds back.</summary>
    protected virtual void BeforeEnded()
    {
    }

    /// <summary>
    /// The relay phase: registers the session as live, audits its start, relays until either side ends
    /// (or the agent ends it), then audits the end with its reason, bytes and duration.
    /// </summary>
    protected async Task RelayAsync(IReadOnlyDictionary<string, string>? startDetails, CancellationToken ct)
    {
        var live = _live = new LiveSession(Audit.SessionId, Identity, Db.Name);
        Ctx.Sessions.Add(live);
        Audit.Started(startDetails);
        var started = Stopwatch.GetTimestamp();
        using var expiry = ScheduleExpiry(live);
        using var idle = ScheduleIdleCheck(live);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, live.Terminated);
        var relays = StartRelays(stop.Token);
        var first = await Task.WhenAny(relays.ToDatabase, relays.ToClient);
        SessionEndReason reason;
        if (live.EndReason is { } closed)
        {
            reason = closed;
            await Task.WhenAll(relays.ToDatabase, relays.ToClient);
            await NotifyClosedAsync(live.EndMessage!);
        }
        else
        {
            var clientSide = first == relays.ToDatabase;
            var end = await first;
            reason = ReasonFor(clientSide, end);
            if (!await EndsCleanlyAsync(clientSide, end, relays))
            {
                reason = await OnRelayEndedAsync(clientSide, end, reason);
                await stop.CancelAsync();
                await CloseDatabaseAsync();
                await Task.WhenAll(relays.ToDatabase, relays.ToClient);
            }
        }
        Ctx.Sessions.Remove(Audit.SessionId);
        BeforeEnded();
        var (toDatabase, toClient) = RelayedBytes;
        Audit.Ended(reason, live.EndMessage ?? EndError, toDatabase, toClient, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Why the agent ended the session, once it has.</summary>
    protected SessionEndReason? AgentEndReason => _live?.EndReason;

    /// <summary>
    /// With the roles' <c>idle_timeout</c>: checks, a few times per timeout, whether any byte passed either way since the
    /// last check; a session with none for longer than the timeout is ended (<c>idle_timeout</c>). Costs the relays nothing.
    /// </summary>
    private ITimer? ScheduleIdleCheck(LiveSession live)
    {
        if (_rbac?.IdleTimeout is not { } timeout)
        {
            return null;
        }
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 200, TimeSpan.TicksPerMinute));
        var lastBytes = (-1L, -1L);
        var lastActive = Ctx.Time.GetUtcNow();
        var text = Duration.Format(timeout);
        return Ctx.Time.CreateTimer(_ =>
        {
            (long, long) bytes;
            try
            {
                bytes = RelayedBytes;
            }
            catch (NullReferenceException)
            {
                return; // the relays are not started yet
            }
            var now = Ctx.Time.GetUtcNow();
            if (bytes != lastBytes)
            {
                lastBytes = bytes;
                lastActive = now;
                return;
            }
            if (now - lastActive > timeout && live.EndReason is null)
            {
                Ferry.Diagnostics.FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, "idle_timeout");
                AgentLog.SessionIdleClosed(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, text);
                live.Terminate(SessionEndReason.IdleTimeout, $"idle for longer than idle_timeout {text}");
            }
        }, null, period, period);
    }

    /// <summary>Which side ended the session, from the direction that stopped first and why.</summary>
    private static SessionEndReason ReasonFor(bool clientSide, RelayEnd end) => (clientSide, end) switch
    {
        (true, RelayEnd.SourceClosed or RelayEnd.Stopped) => SessionEndReason.ClientClosed,
        (true, RelayEnd.ProtocolError) => SessionEndReason.ClientProtocolError,
        (true, _) => SessionEndReason.DatabaseClosed,
        (false, RelayEnd.SourceClosed) => SessionEndReason.DatabaseClosed,
        (false, RelayEnd.ProtocolError) => SessionEndReason.DatabaseProtocolError,
        (false, _) => SessionEndReason.ClientClosed,
    };
}
