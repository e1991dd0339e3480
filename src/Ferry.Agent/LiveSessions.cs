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

    /// <summary>Re-checks every live session against the authority's locks; returns how many were told to close.</summary>
    public int EnforceLocks(IAgentAuthority authority)
    {
        var closed = 0;
        foreach (var s in _sessions.Values)
        {
            var reason = authority.FindLock(s.Identity, s.Database);
            if (reason is not null)
            {
                s.Terminate(SessionEndReason.Lock, reason);
                closed++;
            }
        }
        return closed;
    }
}
