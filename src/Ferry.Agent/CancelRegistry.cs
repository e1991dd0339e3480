using Ferry.Protocol.Postgres;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ferry.Contracts;

namespace Ferry.Agent;

/// <summary>
/// Maps the BackendKeyData the agent minted for a client to the database's real key, so a
/// CancelRequest (which arrives on a new connection) reaches the right backend. Clients never
/// see the database's own key. Each key's cancels are rate limited (<see cref="CancelRate"/>): every
/// cancel acted on opens a database connection, so a replayed key must not open one per packet.
/// </summary>
/// <param name="agentId">The agent's host id: minted process ids carry its tag (<see cref="CancelKeyRouting"/>), so a cancel
/// sent to any proxy finds this agent; null mints wholly random ones.</param>
public sealed class CancelRegistry(string? agentId = null)
{
    private readonly int _tag = agentId is null ? 0 : CancelKeyRouting.Tag(agentId);

    private readonly ConcurrentDictionary<CancelKey, CancelTarget> _targets = new();
    private readonly ConcurrentDictionary<CancelKey, CancelRate> _rates = new();

    public (int ProcessId, byte[] SecretKey) Register(CancelTarget target)
    {
        while (true)
        {
            var pid = _tag == 0 ? RandomNumberGenerator.GetInt32(1, int.MaxValue) : CancelKeyRouting.ProcessId(_tag);
            var secret = RandomNumberGenerator.GetBytes(4);
            if (_targets.TryAdd(CancelKey.From(pid, secret), target))
            {
                return (pid, secret);
            }
        }
    }

    public bool TryGet(int processId, ReadOnlySpan<byte> secret, out CancelTarget? target) =>
        _targets.TryGetValue(CancelKey.From(processId, secret), out target);

    /// <summary>
    /// The target of a cancel for this key when it may be acted on at <paramref name="now"/>; null with
    /// <paramref name="throttled"/> false for an unknown key, null with it true when the key is over its rate.
    /// </summary>
    public CancelTarget? TryBegin(int processId, ReadOnlySpan<byte> secret, DateTimeOffset now, out bool throttled)
    {
        var key = CancelKey.From(processId, secret);
        throttled = false;
        if (!_targets.TryGetValue(key, out var target))
        {
            return null;
        }
        var rate = _rates.GetOrAdd(key, static _ => new CancelRate());
        lock (rate)
        {
            if (!rate.TryTake(now))
            {
                throttled = true;
                return null;
            }
        }
        return target;
    }

    public void Remove(int processId, ReadOnlySpan<byte> secret)
    {
        var key = CancelKey.From(processId, secret);
        _targets.TryRemove(key, out _);
        _rates.TryRemove(key, out _);
    }

    public int Count => _targets.Count;

}

/// <summary>Where a minted key's cancel goes: the database, and the backend's real key.</summary>
public sealed record CancelTarget(AgentDatabase Database, string DbUser, int ProcessId, byte[] SecretKey, string SessionId, string User)
{
    /// <summary>The session's db name and user certificate, in case the cancel needs a new db-client certificate.</summary>
    public string DbName { get; init; } = "";

    public byte[] UserCertificate { get; init; } = [];
}
