using System.Buffers;
using System.Net;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Proxy.Postgres;

/// <summary>
/// Routes a CancelRequest (plain or inside TLS) to the agent that minted its key. Dropped ones (unknown key,
/// throttled) are counted (<c>ferry_cancels_total</c>) and audited in aggregate (<c>TDB03W</c>).
/// </summary>
internal static class PostgresCancel
{
    public static async Task ForwardAsync(ProxyContext ctx, StartupPacket packet, IPEndPoint remote, CancellationToken ct)
    {
        var request = CancelRequest.Read(packet);
        var decision = ctx.Cancels.Decide(remote.Address, request.ProcessId, request.SecretKey.ToArray(), out var agentId, out var database);
        if (decision != CancelDecision.Forward)
        {
            var (result, reason, detail) = decision == CancelDecision.UnknownKey
                ? ("unknown_key", Refusals.CancelUnknownKey, "cancel request for a key no session has")
                : ("throttled", Refusals.CancelThrottled, "cancel request over the rate allowed for its key or source");
            FerryMetrics.Cancel(FerryMetrics.Sides.Proxy, result);
            ProxyLog.CancelDropped(ctx.Log, remote.ToString(), result);
            if (ctx.RefusalAggregates.Occurred(new AggregateKey(reason, "postgres", remote.Address.ToString()), out var suppressed))
            {
                ProxyAudit.Aggregated(ctx, "postgres", null, remote.ToString(), database, reason, detail, suppressed);
            }
            return;
        }
        FerryMetrics.Cancel(FerryMetrics.Sides.Proxy, "forwarded");
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
