using System.Buffers;
using System.Net;
using Ferry.Contracts;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Proxy.Postgres;

/// <summary>Routes a CancelRequest (plain or inside TLS) to the agent that minted its key.</summary>
internal static class PostgresCancel
{
    public static async Task ForwardAsync(ProxyContext ctx, StartupPacket packet, IPEndPoint remote, CancellationToken ct)
    {
        var request = CancelRequest.Read(packet);
        var minute = ctx.Time.GetUtcNow().ToUnixTimeSeconds() / 60;
        if (ctx.Cancels.IsThrottled(remote.Address, minute))
        {
            return;
        }
        if (!ctx.Cancels.TryGet(remote.Address, minute, request.ProcessId, request.SecretKey.ToArray(), out var agentId, out var database))
        {
            return;
        }
        var raw = packet.Raw.ToArray();
        foreach (var (tunnel, _) in ctx.Agents.Find(database))
        {
            if (tunnel.AgentId != agentId)
            {
                continue;
            }
            try
            {
                await using var stream = await tunnel.OpenStreamAsync(ct);
                await stream.WriteAsync(new StreamHeader(StreamKind.PostgresCancel, remote.ToString(), database, [], raw).Encode(), ct);
                await stream.FlushAsync(ct);
                // Wait for the agent to finish (it closes the stream) so the client's cancel
                // connection closes after the cancel was delivered, as with PostgreSQL itself.
                var sink = new byte[1];
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(10));
                while (await stream.ReadAsync(sink, wait.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // A cancel is best effort, as in PostgreSQL: the client gets no answer either way.
                ProxyLog.CancelForwardFailed(ctx.Log, remote.ToString(), e.Message);
            }
            return;
        }
    }
}
