using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Ferry.Identity;
using Ferry.Identity.Tls.OpenSsl;
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

    public async Task RunAsync(OpenSslStream ssl, IPEndPoint remote, CancellationToken ct)
    {
        var cert = ssl.RemoteCertificateData;
        if (cert.IsEmpty)
        {
            TunnelLog.Rejected(_ctx.Log, remote.ToString(), "no client certificate");
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "tunnel_certificate");
            await ssl.DisposeAsync();
            return;
        }
        var verification = _ctx.HostVerifier.VerifyHost(cert, HostRole.Agent);
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

    /// <summary>The longest heartbeat line taken (a heartbeat of thousands of databases is far below it).</summary>
    internal const int MaxHeartbeatBytes = 1024 * 1024;

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
            // The stream's own receive pipe: between heartbeats (seconds apart) it holds no segment, and no second
            // pipe is layered over the stream.
            while (await ReadHeartbeatAsync(stream.Input, ct) is { } hb)
            {
                _ctx.Agents.Register(tunnel, hb with { AgentId = tunnel.AgentId });
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            // An agent that sends what is not a heartbeat loses its place in the inventory until its tunnel
            // reconnects; its host certificate is valid, so this is a broken or hostile agent: said at warning.
            FerryMetrics.Refused(FerryMetrics.Sides.Proxy, "heartbeat");
            TunnelLog.HeartbeatRefused(_ctx.Log, tunnel.AgentId, e.Message);
        }
        catch (Exception e) when (e is TunnelException or IOException or OperationCanceledException or EndOfStreamException)
        {
            // The heartbeat stream ends with its tunnel: the agent is unregistered below and the tunnel's own end is
            // logged by RunAsync.
            TunnelLog.HeartbeatsEnded(_ctx.Log, tunnel.AgentId, e.Message);
        }
        finally
        {
            _ctx.Agents.Unregister(tunnel);
        }
    }

    /// <summary>
    /// The next heartbeat (one JSON line), or null at the end of the stream. A line longer than
    /// <see cref="MaxHeartbeatBytes"/> is refused before more of it is buffered; a line that is not a heartbeat, or
    /// has a null where one has a value, throws <see cref="JsonException"/>.
    /// </summary>
    internal static async ValueTask<AgentHeartbeat?> ReadHeartbeatAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, end);
                try
                {
                    if (line.Length > MaxHeartbeatBytes)
                    {
                        throw new InvalidDataException($"heartbeat longer than {MaxHeartbeatBytes} bytes");
                    }

                    return ParseHeartbeat(line);
                }
                finally
                {
                    reader.AdvanceTo(buffer.GetPosition(1, end));
                }
            }

            if (buffer.Length > MaxHeartbeatBytes)
            {
                throw new InvalidDataException($"heartbeat longer than {MaxHeartbeatBytes} bytes");
            }

            if (read.IsCompleted)
            {
                return null; // a partial last line is not a heartbeat: the agent went away mid-write
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>One heartbeat line: refused (<see cref="JsonException"/>) unless it is an object with no null database.</summary>
    internal static AgentHeartbeat ParseHeartbeat(ReadOnlySequence<byte> line)
    {
        var json = new Utf8JsonReader(line);
        var hb = JsonSerializer.Deserialize(ref json, TransportJsonContext.Default.AgentHeartbeat)
            ?? throw new JsonException("a heartbeat is an object, not null");
        for (var i = 0; i < hb.Databases.Count; i++)
        {
            if (hb.Databases[i] is null)
            {
                throw new JsonException($"databases[{i}] is null");
            }
        }

        return hb;
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
