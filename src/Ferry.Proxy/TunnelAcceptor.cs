using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Text.Json;
using Ferry.Identity;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Tunnel;

namespace Ferry.Proxy;

/// <summary>
/// Accepts agent tunnels (ALPN <c>ferry-tunnel</c>, mutual TLS with an agent host certificate),
/// runs a multiplexer session on each, and keeps the registry current from their heartbeats.
/// </summary>
internal sealed class TunnelAcceptor : IAsyncDisposable
{
    private readonly ProxyContext _ctx;
    private readonly ConcurrentDictionary<MuxSession, string> _sessions = new();

    public TunnelAcceptor(ProxyContext context)
    {
        _ctx = context;
        _ctx.AgentRemoved += CloseAgent;
    }

    /// <summary>Closes every tunnel of a removed agent: its streams, and so its sessions, end at once.</summary>
    private void CloseAgent(string agentId)
    {
        var closed = 0;
        foreach (var (mux, id) in _sessions)
        {
            if (id == agentId)
            {
                closed++;
                _ = mux.DisposeAsync().AsTask();
            }
        }
        if (closed > 0)
        {
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "agent_removed");
            TunnelLog.RemovedAgentClosed(_ctx.Log, agentId, closed);
        }
    }

    public async Task RunAsync(SslStream ssl, IPEndPoint remote, CancellationToken ct)
    {
        var cert = ssl.RemoteCertificate;
        if (cert is null)
        {
            TunnelLog.Rejected(_ctx.Log, remote.ToString(), "no client certificate");
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "tunnel_certificate");
            await ssl.DisposeAsync();
            return;
        }
        var verification = _ctx.HostVerifier.VerifyHost(cert.GetRawCertData(), HostRole.Agent);
        if (!verification.IsValid)
        {
            TunnelLog.Rejected(_ctx.Log, remote.ToString(), verification.Message);
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "tunnel_certificate");
            await ssl.DisposeAsync();
            return;
        }
        var agentId = verification.Identity.HostId;
        if (!_ctx.IsAgentRegistered(agentId))
        {
            TunnelLog.Rejected(_ctx.Log, remote.ToString(), $"agent \"{agentId}\" is not registered (removed with `ferryd admin hosts rm`, or never joined): join it again with a new token");
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "agent_removed");
            await ssl.DisposeAsync();
            return;
        }
        var mux = MuxSession.Server(ssl, new MuxOptions());
        _sessions[mux] = agentId;
        var tunnel = new MuxAgentTunnel(agentId, mux);
        FerryMetrics.TunnelUp(FerryMetrics.Sides.Proxy);
        TunnelLog.Up(_ctx.Log, FerryMetrics.Sides.Proxy, agentId, remote.ToString());
        var reason = "proxy stopping";
        try
        {
            while (!ct.IsCancellationRequested)
            {
                MuxStream stream;
                try
                {
                    stream = await mux.AcceptStreamAsync(ct);
                }
                catch (Exception e) when (e is TunnelException or OperationCanceledException or IOException)
                {
                    reason = e.Message;
                    break;
                }
                _ = Task.Run(() => HeartbeatsAsync(tunnel, stream, ct));
            }
        }
        finally
        {
            tunnel.Closed = true;
            FerryMetrics.TunnelDown(FerryMetrics.Sides.Proxy);
            TunnelLog.Down(_ctx.Log, FerryMetrics.Sides.Proxy, agentId, remote.ToString(), reason);
            _ctx.Agents.Unregister(tunnel);
            _sessions.TryRemove(mux, out _);
            await mux.DisposeAsync();
        }
    }

    private async Task HeartbeatsAsync(MuxAgentTunnel tunnel, MuxStream stream, CancellationToken ct)
    {
        await using var _ = stream;
        try
        {
            var header = await StreamHeader.ReadAsync(stream, ct);
            if (header.Kind != StreamKind.Heartbeat)
            {
                return;
            }
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 1024 * 1024)
                {
                    return;
                }
                var hb = JsonSerializer.Deserialize(line, TransportJsonContext.Default.AgentHeartbeat);
                if (hb is not null)
                {
                    _ctx.Agents.Register(tunnel, hb with { AgentId = tunnel.AgentId });
                }
            }
        }
        catch (Exception e) when (e is TunnelException or IOException or JsonException or InvalidDataException or OperationCanceledException or EndOfStreamException)
        {
            // The heartbeat stream ends with its tunnel (or sent garbage): the agent is unregistered below and the
            // tunnel's own end is logged by RunAsync.
            TunnelLog.HeartbeatsEnded(_ctx.Log, tunnel.AgentId, e.Message);
        }
        finally
        {
            _ctx.Agents.Unregister(tunnel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ctx.AgentRemoved -= CloseAgent;
        foreach (var mux in _sessions.Keys)
        {
            await mux.DisposeAsync();
        }
    }

    private sealed class MuxAgentTunnel(string agentId, MuxSession mux) : IAgentTunnel
    {
        public string AgentId => agentId;

        public bool Closed { get; set; }

        public bool IsAlive => !Closed && !mux.Completion.IsCompleted;

        public async Task<Stream> OpenStreamAsync(CancellationToken ct) => await mux.OpenStreamAsync(ct);
    }
}
