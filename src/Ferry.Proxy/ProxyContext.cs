using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.Extensions.Logging;

namespace Ferry.Proxy;

/// <summary>Shared state of one proxy.</summary>
public sealed class ProxyContext
{
    public required string ProxyId { get; init; }

    public required string ClusterName { get; init; }

    /// <summary>The proxy's host certificate context (covers its public addresses); replaced when the certificate is renewed.</summary>
    public required SslStreamCertificateContext ServerCertificate { get; set; }

    public required IdentityVerifier UserVerifier { get; init; }

    public required IdentityVerifier HostVerifier { get; init; }

    public required IAuditSink Audit { get; init; }

    /// <summary>Returns the reason text when a lock covers this user or the database; otherwise null.</summary>
    public Func<UserIdentity, string, string?> FindLock { get; init; } = static (_, _) => null;

    /// <summary>Where HTTPS API connections (ALPN h2 / http/1.1) are passed through, TLS untouched.</summary>
    public EndPoint? AuthApiEndPoint { get; init; }

    /// <summary>Further auth servers for the passthrough, tried in order when the preferred one refuses or times out.</summary>
    public IReadOnlyList<EndPoint> AuthApiFallbackEndPoints { get; init; } = [];

    /// <summary>Index into [<see cref="AuthApiEndPoint"/>, ..<see cref="AuthApiFallbackEndPoints"/>] of the one that last accepted.</summary>
    internal int AuthApiPreferred;

    public AgentRegistry Agents { get; } = new();

    /// <summary>Whether an agent's host is registered (not removed with <c>ferryd admin hosts rm</c>): its tunnel is refused otherwise.</summary>
    public Func<string, bool> IsAgentRegistered { get; init; } = static _ => true;

    /// <summary>Raised by <see cref="RemoveAgent"/>: the tunnel acceptor closes that agent's tunnels.</summary>
    internal event Action<string>? AgentRemoved;

    /// <summary>Closes every tunnel of <paramref name="agentId"/> (its host was removed), ending its sessions.</summary>
    public void RemoveAgent(string agentId) => AgentRemoved?.Invoke(agentId);

    public ProxyCancelMap Cancels => LazyInitializer.EnsureInitialized(ref _cancels, () => new ProxyCancelMap(Time));

    private ProxyCancelMap? _cancels;

    /// <summary>The caps on open client connections (<c>proxy.max_connections</c>, <c>proxy.max_connections_per_source</c>).</summary>
    public ConnectionLimiter Connections { get; init; } = new(ConnectionLimiter.DefaultMaxConnections, ConnectionLimiter.DefaultMaxConnectionsPerSource);

    /// <summary>Aggregates the audit events and info log lines of refusals (one per reason, protocol and source per minute, then a count).</summary>
    internal AuditAggregator RefusalAggregates => LazyInitializer.EnsureInitialized(ref _aggregates, () => new AuditAggregator(Time, TimeSpan.FromMinutes(1)));

    private AuditAggregator? _aggregates;

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>proxy.max_tunnel_handshakes</c>: agent tunnel TLS handshakes in flight at most (<see cref="TunnelHandshakes"/>).</summary>
    public int MaxTunnelHandshakes { get; init; } = TunnelHandshakeGate.DefaultLimit;

    internal TunnelHandshakeGate TunnelHandshakes => LazyInitializer.EnsureInitialized(ref _tunnelHandshakes, () => new TunnelHandshakeGate(MaxTunnelHandshakes, Time, Log));

    private TunnelHandshakeGate? _tunnelHandshakes;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the proxy's log events go; the process's factory unless a host sets another.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = FerryLogging.Factory;

    internal ILogger Log => _log ??= LoggerFactory.CreateLogger("Ferry.Proxy");

    private ILogger? _log;
}
