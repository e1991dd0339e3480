using System.Collections.Concurrent;
using Ferry.Audit;

namespace Ferry.Agent;

/// <summary>The sessions an agent is relaying, so that a new lock closes the ones it covers.</summary>
public sealed class LiveSessions
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new();

    public int Count => _sessions.Count;

    public void Add(LiveSession session) => _sessions[session.Id] = session;

    public void Remove(string id) => _sessions.TryRemove(id, out _);

    public bool Contains(string id) => _sessions.ContainsKey(id);

    /// <summary>Re-checks every live session against the authority's locks; returns how many were told to close.</summary>
    public int EnforceLocks(IAgentAuthority authority) => EnforceLocks(authority, static _ => null);

    /// <summary>
    /// Re-checks every live session against the authority's locks and <paramref name="sessionLock"/> (the message of a
    /// lock of kind <c>session</c> naming the session's id, from <c>ferry sessions end</c>; null when none); returns how
    /// many were told to close. A session lock ends the session with reason <c>lock</c> and the lock's message.
    /// </summary>
    public int EnforceLocks(IAgentAuthority authority, Func<string, string?> sessionLock)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(sessionLock);
        var closed = 0;
        foreach (var s in _sessions.Values)
        {
            var reason = sessionLock(s.Id) ?? authority.FindLock(s.Identity, s.Database);
            if (reason is not null)
            {
                s.Terminate(SessionEndReason.Lock, reason);
                closed++;
            }
        }
        return closed;
    }
}
