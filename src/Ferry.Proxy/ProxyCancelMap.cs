using Ferry.Protocol.Postgres;
using System.Collections.Concurrent;
using System.Net;

namespace Ferry.Proxy;

/// <summary>What the proxy does with one CancelRequest.</summary>
public enum CancelDecision
{
    /// <summary>Forward it to the agent that minted the key.</summary>
    Forward,

    /// <summary>No session has this key: dropped, and counted against the sender's address.</summary>
    UnknownKey,

    /// <summary>A known key, but over its rate (<see cref="CancelRate"/>), or from an address over its miss budget that is not the session's own.</summary>
    Throttled,
}

/// <summary>
/// Which agent minted each BackendKeyData the proxy has relayed, so a CancelRequest on a new connection
/// goes to the right tunnel. The key is always looked up first, so junk cancels from an address never
/// block a valid one: unknown keys count against the sender's address, and once it has missed
/// <see cref="MaxMissesPerMinute"/> times in a minute only keys of sessions opened from that same address
/// are honoured from it (guessing other sessions' keys stays impractical; the address's own cancels work).
/// Each key's cancels are rate limited (<see cref="CancelRate"/>), so replaying a valid key cannot open a
/// database connection per packet.
/// </summary>
public sealed class ProxyCancelMap(TimeProvider time)
{
    public const int MaxMissesPerMinute = 20;

    /// <summary>Addresses whose misses are tracked at most; beyond, the oldest minute's entries are dropped.</summary>
    public const int MaxTrackedSources = 100_000;

    private readonly ConcurrentDictionary<CancelKey, Entry> _keys = new();
    private readonly ConcurrentDictionary<IPAddress, (long Minute, int Misses)> _misses = new();

    public void Add(int pid, ReadOnlySpan<byte> secret, string agentId, string database, IPAddress client) =>
        _keys[CancelKey.From(pid, secret)] = new Entry(agentId, database, client);

    public void Remove(int pid, ReadOnlySpan<byte> secret) => _keys.TryRemove(CancelKey.From(pid, secret), out _);

    public int Count => _keys.Count;

    /// <summary>At most this many agents are asked about one key this proxy does not know (<see cref="MayAskAgents"/>).</summary>
    public const int MaxAgentsAsked = 4;

    /// <summary>
    /// After <see cref="CancelDecision.UnknownKey"/>: whether the key may still be asked of the agents its process id is
    /// tagged with (a session relayed by another proxy): only while <paramref name="source"/> is within its miss budget this
    /// minute (this miss included), so junk keys reach the agents at most <see cref="MaxMissesPerMinute"/> times a minute per address.
    /// </summary>
    public bool MayAskAgents(IPAddress source)
    {
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        return !_misses.TryGetValue(source, out var m) || m.Minute != minute || m.Misses <= MaxMissesPerMinute;
    }

    /// <summary>Decides what to do with a cancel for (<paramref name="pid"/>, <paramref name="secret"/>) from <paramref name="source"/>.</summary>
    public CancelDecision Decide(IPAddress source, int pid, ReadOnlySpan<byte> secret, out string agentId, out string database)
    {
        var now = time.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        agentId = "";
        database = "";
        if (!_keys.TryGetValue(CancelKey.From(pid, secret), out var entry))
        {
            if (_misses.Count >= MaxTrackedSources)
            {
                foreach (var (address, m) in _misses)
                {
                    if (m.Minute != minute)
                    {
                        _misses.TryRemove(address, out _);
                    }
                }
            }
            _misses.AddOrUpdate(source, (minute, 1), (_, old) => old.Minute == minute ? (minute, old.Misses + 1) : (minute, 1));
            return CancelDecision.UnknownKey;
        }
        if (!entry.Client.Equals(source) && _misses.TryGetValue(source, out var misses) && misses.Minute == minute && misses.Misses >= MaxMissesPerMinute)
        {
            return CancelDecision.Throttled;
        }
        lock (entry.Rate)
        {
            if (!entry.Rate.TryTake(now))
            {
                return CancelDecision.Throttled;
            }
        }
        (agentId, database) = (entry.Agent, entry.Database);
        return CancelDecision.Forward;
    }

    private sealed record Entry(string Agent, string Database, IPAddress Client)
    {
        public CancelRate Rate { get; } = new();
    }
}
