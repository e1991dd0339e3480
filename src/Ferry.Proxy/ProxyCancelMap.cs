using Ferry.Protocol.Postgres;
using System.Collections.Concurrent;
using System.Net;
using Ferry.Contracts;

namespace Ferry.Proxy;

/// <summary>
/// Which agent minted each BackendKeyData the proxy has relayed, so a CancelRequest on a new
/// connection goes to the right tunnel. Unknown keys count against the sender's address; after
/// too many in a minute its cancels are ignored, which makes guessing keys impractical.
/// </summary>
public sealed class ProxyCancelMap
{
    private const int MaxMissesPerMinute = 20;
    private readonly ConcurrentDictionary<CancelKey, (string Agent, string Database)> _keys = new();
    private readonly ConcurrentDictionary<IPAddress, (long Minute, int Misses)> _misses = new();

    public void Add(int pid, ReadOnlySpan<byte> secret, string agentId, string database) => _keys[CancelKey.From(pid, secret)] = (agentId, database);

    public void Remove(int pid, ReadOnlySpan<byte> secret) => _keys.TryRemove(CancelKey.From(pid, secret), out _);

    public bool IsThrottled(IPAddress source, long nowMinute) =>
        _misses.TryGetValue(source, out var m) && m.Minute == nowMinute && m.Misses >= MaxMissesPerMinute;

    public bool TryGet(IPAddress source, long nowMinute, int pid, ReadOnlySpan<byte> secret, out string agentId, out string database)
    {
        if (_keys.TryGetValue(CancelKey.From(pid, secret), out var v))
        {
            (agentId, database) = v;
            return true;
        }
        _misses.AddOrUpdate(source, (nowMinute, 1), (_, old) => old.Minute == nowMinute ? (nowMinute, old.Misses + 1) : (nowMinute, 1));
        agentId = "";
        database = "";
        return false;
    }

}
