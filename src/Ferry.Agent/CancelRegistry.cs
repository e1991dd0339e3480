using Ferry.Protocol.Postgres;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ferry.Contracts;

namespace Ferry.Agent;

/// <summary>
/// Maps the BackendKeyData the agent minted for a client to the database's real key, so a
/// CancelRequest (which arrives on a new connection) reaches the right backend. Clients never
/// see the database's own key.
/// </summary>
public sealed class CancelRegistry
{
    private readonly ConcurrentDictionary<CancelKey, CancelTarget> _targets = new();

    public (int ProcessId, byte[] SecretKey) Register(CancelTarget target)
    {
        while (true)
        {
            var pid = RandomNumberGenerator.GetInt32(1, int.MaxValue);
            var secret = RandomNumberGenerator.GetBytes(4);
            if (_targets.TryAdd(CancelKey.From(pid, secret), target))
            {
                return (pid, secret);
            }
        }
    }

    public bool TryGet(int processId, ReadOnlySpan<byte> secret, out CancelTarget? target) =>
        _targets.TryGetValue(CancelKey.From(processId, secret), out target);

    public void Remove(int processId, ReadOnlySpan<byte> secret) => _targets.TryRemove(CancelKey.From(processId, secret), out _);

    public int Count => _targets.Count;

}

/// <summary>Where a minted key's cancel goes: the database, and the backend's real key.</summary>
public sealed record CancelTarget(AgentDatabase Database, string DbUser, int ProcessId, byte[] SecretKey, string SessionId, string User)
{
    /// <summary>The session's db name and user certificate, in case the cancel needs a new db-client certificate.</summary>
    public string DbName { get; init; } = "";

    public byte[] UserCertificate { get; init; } = [];
}
