using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.Identity;
using Ferry.Identity.Tls.OpenSsl;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Tunnel;

namespace Ferry.Agent;

/// <summary>
/// Keeps one tunnel to one proxy: dials out with TLS (ALPN <c>ferry-tunnel</c>, the agent's host
/// certificate), verifies the proxy's host certificate, heartbeats the inventory, serves the
/// streams the proxy opens, and reconnects with exponential backoff and full jitter.
/// </summary>
public sealed class AgentTunnelClient(AgentContext ctx, string proxyHost, int proxyPort, Func<X509Certificate2> hostCertificate, IdentityVerifier hostVerifier)
{
    private static readonly SslApplicationProtocol TunnelAlpn = new(Alpn.Tunnel);

    private readonly AgentStreamHandler _handler = new(ctx);

    /// <summary>host:port this tunnel dials.</summary>
    public string Address => $"{proxyHost}:{proxyPort}";

    /// <summary>Whether the agent is ready only while this tunnel is up (configured proxies); false for proxies the mesh added.</summary>
    public bool RequiredForReadiness { get; init; } = true;

    /// <summary>The proxy's host id (from its certificate) once a tunnel came up; null before.</summary>
    public string? PeerHostId { get; private set; }

    /// <summary>Raised after a tunnel comes up (with <see cref="PeerHostId"/> known).</summary>
    public event Action<AgentTunnelClient>? Up;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The inventory sent on each heartbeat.</summary>
    public required Func<AgentHeartbeat> Heartbeat { get; init; }

    public int Connects { get; private set; }

    public string? LastError { get; private set; }

    public bool Connected { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        // Ready while this tunnel is up: an agent whose proxies cannot reach it serves nobody.
        using var ready = RequiredForReadiness ? Readiness.Process.Register($"agent tunnel to {proxyHost}:{proxyPort}", () => Connected) : null;
        var backoff = TunnelBackoff.CreateDefault();
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            if (!first)
            {
                FerryMetrics.AgentTunnelReconnect(Address);
            }

            first = false;
            try
            {
                await RunOnceAsync(backoff.Connected, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogFailure(e.Message);
                LastError = e.Message;
            }
            Connected = false;
            if (ct.IsCancellationRequested)
            {
                return;
            }
            // Full jitter: a random delay in [0, min(cap, base * 2^attempt)); the attempts count on until a tunnel stays up.
            var delay = backoff.Next();
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A new kind of failure is a warning; the same one again, on every backoff, only a debug line.</summary>
    private void LogFailure(string error)
    {
        if (error == _lastLogged)
        {
            TunnelLog.ConnectStillFailing(ctx.Log, $"{proxyHost}:{proxyPort}", error);
        }
        else
        {
            TunnelLog.ConnectFailed(ctx.Log, $"{proxyHost}:{proxyPort}", error);
            _lastLogged = error;
        }
    }

    private string? _lastLogged;

    private async Task RunOnceAsync(Action connected, CancellationToken ct)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(proxyHost, proxyPort, ct);
        var certificate = hostCertificate();
        string? peerHostId = null;
        var ssl = await OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(certificate), proxyHost, (leaf, _) =>
        {
            if (leaf is null)
            {
                return "the proxy presented no certificate";
            }
            var verified = hostVerifier.VerifyHost(leaf.RawDataMemory, HostRole.Proxy);
            peerHostId = verified.IsValid ? verified.Identity.HostId : null;
            return verified.IsValid ? null : $"the proxy's certificate was refused: {verified.Message}";
        }, ct, [TunnelAlpn]);
        PeerHostId = peerHostId;

        await using var mux = MuxSession.Client(ssl, new MuxOptions());
        Connects++;
        Connected = true;
        FerryMetrics.AgentProxyTunnel(Address, 1);
        _lastLogged = null;
        connected();
        FerryMetrics.TunnelUp(FerryMetrics.Sides.Agent);
        TunnelLog.Up(ctx.Log, FerryMetrics.Sides.Agent, ctx.AgentId, $"{proxyHost}:{proxyPort}");
        Up?.Invoke(this);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeats = HeartbeatLoopAsync(mux, stop.Token);
        var reason = "agent stopping";
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var stream = await mux.AcceptStreamAsync(stop.Token);
                _ = Task.Run(() => _handler.HandleAsync(stream, ct), CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            reason = e.Message;
            throw;
        }
        finally
        {
            Connected = false;
            FerryMetrics.AgentProxyTunnel(Address, -1);
            FerryMetrics.TunnelDown(FerryMetrics.Sides.Agent);
            TunnelLog.Down(ctx.Log, FerryMetrics.Sides.Agent, ctx.AgentId, $"{proxyHost}:{proxyPort}", reason);
            await stop.CancelAsync();
            try
            {
                await heartbeats;
            }
            catch (Exception)
            {
                // The session is going away; its heartbeat loop ends with it.
            }
        }
    }

    private async Task HeartbeatLoopAsync(MuxSession mux, CancellationToken ct)
    {
        await using var stream = await mux.OpenStreamAsync(ct);
        await stream.WriteAsync(new StreamHeader(StreamKind.Heartbeat, "", "", [], []).Encode(), ct);
        while (!ct.IsCancellationRequested)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(Heartbeat(), TransportJsonContext.Default.AgentHeartbeat);
            await stream.WriteAsync(json, ct);
            await stream.WriteAsync("\n"u8.ToArray(), ct);
            await stream.FlushAsync(ct);
            await Task.Delay(HeartbeatInterval, ct);
        }
    }
}
