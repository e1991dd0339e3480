using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ferry.Contracts;
using Ferry.Hosting;

namespace Ferry.Proxy.Tests;

/// <summary>An agent tunnel without a connection: routing decisions only (opening a stream is not supported).</summary>
internal sealed class FakeTunnel(string id) : IAgentTunnel
{
    public string AgentId => id;

    public bool IsAlive { get; set; } = true;

    public Task<Stream> OpenStreamAsync(CancellationToken ct) => throw new NotSupportedException();
}

/// <summary>Heartbeats and a lock watch fed from a channel, for the routing tests.</summary>
internal static class RoutingFakes
{
    public static AgentHeartbeat Serving(string agent, params string[] names) =>
        new() { AgentId = agent, Databases = [.. names.Select(n => new DatabaseEntry { Name = n, Protocol = "postgres", Healthy = true })] };

    public static async IAsyncEnumerable<LockWatchEvent> Read(ChannelReader<LockWatchEvent> reader, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in reader.ReadAllAsync(ct))
        {
            yield return e;
        }
    }
}
