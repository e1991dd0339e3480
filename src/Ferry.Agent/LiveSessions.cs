using System.Collections.Concurrent;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>The sessions an agent is relaying, so that a new lock closes the ones it covers.</summary>
public sealed class LiveSessions
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new();

    public int Count => _sessions.Count;

    public void Add(LiveSession session) => _sessions[session.Id] = session;

    public void Remove(string id) => _sessions.TryRemove(id, out _);

    /// <summary>Re-checks every live session against the authority's locks; returns how many were told to close.</summary>
    public int EnforceLocks(IAgentAuthority authority)
    {
        var closed = 0;
        foreach (var s in _sessions.Values)
        {
            var reason = authority.FindLock(s.Identity, s.Database);
            if (reason is not null)
            {
                s.Terminate("lock", reason);
                closed++;
            }
        }
        return closed;
    }
}

/// <summary>One relayed session: who, where, and how to end it.</summary>
public sealed class LiveSession(string id, UserIdentity identity, string database)
{
    private readonly CancellationTokenSource _terminate = new();

    public string Id { get; } = id;

    public UserIdentity Identity { get; } = identity;

    public string Database { get; } = database;

    public string? EndReason { get; private set; }

    public string? EndMessage { get; private set; }

    public CancellationToken Terminated => _terminate.Token;

    public void Terminate(string reason, string message)
    {
        if (EndReason is null)
        {
            EndReason = reason;
            EndMessage = message;
        }
        try
        {
            _terminate.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session ended and disposed its token between the check above and this cancel: nothing left to stop.
        }
    }
}
