using Ferry.Contracts;

namespace Ferry.Proxy;

/// <summary>Opening a session's stream to an agent: candidates are tried in turn until one's tunnel takes the stream.</summary>
internal static class AgentStreams
{
    /// <summary>
    /// Opens a stream on the first of <paramref name="candidates"/> whose tunnel works and writes
    /// <paramref name="header"/>, then <paramref name="first"/> (the client's bytes already read, if any), on it.
    /// A tunnel that breaks under us is logged and the next candidate tried; null when every one failed.
    /// </summary>
    public static async Task<(Stream Stream, IAgentTunnel Tunnel)?> OpenAsync(
        ProxyContext ctx,
        IReadOnlyList<(IAgentTunnel Tunnel, DatabaseEntry Database)> candidates,
        string database,
        ReadOnlyMemory<byte> header,
        ReadOnlyMemory<byte> first,
        CancellationToken ct)
    {
        foreach (var (tunnel, _) in candidates)
        {
            try
            {
                var stream = await tunnel.OpenStreamAsync(ct);
                await stream.WriteAsync(header, ct);
                if (!first.IsEmpty)
                {
                    await stream.WriteAsync(first, ct);
                }
                await stream.FlushAsync(ct);
                return (stream, tunnel);
            }
            catch (Exception e) when (e is Ferry.Tunnel.TunnelException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // This agent's tunnel broke under us: the next candidate may still serve the database.
                ProxyLog.AgentStreamFailed(ctx.Log, tunnel.AgentId, database, e.Message);
            }
        }
        return null;
    }
}
