using System.Buffers;
using System.Net;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Protocol.Postgres;
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
        if (decision == CancelDecision.UnknownKey && ctx.Cancels.MayAskAgents(remote.Address)
            && ctx.Agents.TunnelsTagged(CancelKeyRouting.TagOf(request.ProcessId), ProxyCancelMap.MaxAgentsAsked) is { Count: > 0 } tagged)
        {
            // Not a session of this proxy, but its key names agents connected here: the session may run through another
            // proxy. Still a miss for the sender's budget (this proxy cannot tell); the agent drops a key it did not mint.
            FerryMetrics.Cancel(FerryMetrics.Sides.Proxy, "asked_agents");
            ProxyLog.CancelDropped(ctx.Log, remote.ToString(), $"not a session of this proxy: asking {tagged.Count} agent(s) its key is tagged for");
            var packetBytes = packet.Raw.ToArray();
            await Task.WhenAll(tagged.Select(t => SendAsync(ctx, t, "", packetBytes, remote, ct)));
            return;
        }

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
            await SendAsync(ctx, tunnel, database, raw, remote, ct);
            return;
        }
    }

    private static async Task SendAsync(ProxyContext ctx, IAgentTunnel tunnel, string database, byte[] raw, IPEndPoint remote, CancellationToken ct)
    {
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
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or Ferry.Tunnel.TunnelException)
        {
            // A cancel is best effort, as in PostgreSQL: the client gets no answer either way.
            ProxyLog.CancelForwardFailed(ctx.Log, remote.ToString(), e.Message);
        }
    }
}
