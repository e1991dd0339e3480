using System.Net;
using System.Net.Sockets;
using Ferry.Config;
using Ferry.Hosting;

namespace Ferry.Proxy.Hosting;

/// <summary>
/// The proxy role's settings, mapped from <c>ferry.yaml</c> in one place for both hosts that run it:
/// <c>ferryd</c> with a proxy section (standalone) and <c>ferryd --all-in-one</c>.
/// </summary>
public sealed record ProxyRoleOptions
{
    public required string HostId { get; init; }

    /// <summary>Port 3080: PostgreSQL, agent tunnels and the API passthrough.</summary>
    public required IPEndPoint ListenEndPoint { get; init; }

    public required IPEndPoint MySqlListenEndPoint { get; init; }

    /// <summary>Names and addresses the proxy's certificate covers: the hosts of <c>public_addrs</c> and <c>localhost</c>.</summary>
    public IReadOnlyList<string> PublicNames { get; init; } = ["localhost"];

    /// <summary>A standalone proxy's way to the auth service (<c>host:port</c>).</summary>
    public string AuthAddr { get; init; } = "127.0.0.1:3025";

    /// <summary>Every auth address (<c>proxy.auth_addr</c> as a list), first preferred; the API clients and the passthrough fail over between them.</summary>
    public IReadOnlyList<string> AuthAddrs { get; init; } = ["127.0.0.1:3025"];

    public string? JoinToken { get; init; }

    /// <summary><c>proxy.tunnel_addr</c>: where agents dial this proxy, reported to the auth service (agent mesh); null: not listed.</summary>
    public string? TunnelAddr { get; init; }

    public string? CaPin { get; init; }

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>proxy.max_connections</c>.</summary>
    public int MaxConnections { get; init; } = ConnectionLimiter.DefaultMaxConnections;

    /// <summary><c>proxy.max_connections_per_source</c>.</summary>
    public int MaxConnectionsPerSource { get; init; } = ConnectionLimiter.DefaultMaxConnectionsPerSource;

    /// <summary><c>proxy.max_tunnel_handshakes</c>: agent tunnel TLS handshakes in flight at most.</summary>
    public int MaxTunnelHandshakes { get; init; } = TunnelHandshakeGate.DefaultLimit;

    /// <summary>The DNS names of <see cref="PublicNames"/>.</summary>
    public IEnumerable<string> DnsNames => PublicNames.Where(n => !IPAddress.TryParse(n, out _));

    /// <summary>The IP addresses of <see cref="PublicNames"/>, and loopback.</summary>
    public IEnumerable<IPAddress> IpAddresses =>
        PublicNames.Select(n => IPAddress.TryParse(n, out var ip) ? ip : null).OfType<IPAddress>().Append(IPAddress.Loopback).Distinct();

    /// <summary>The proxy section of <paramref name="config"/>, or its defaults when there is none (all-in-one).</summary>
    public static ProxyRoleOptions FromConfig(FerryConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var proxy = config.Proxy ?? new ProxySection();
        var listen = ParseEndPoint(proxy.ListenAddr);
        return new ProxyRoleOptions
        {
            HostId = HostIds.Proxy(listen.Port),
            ListenEndPoint = listen,
            MySqlListenEndPoint = ParseEndPoint(proxy.MySqlListenAddr),
            PublicNames = [.. proxy.PublicAddrs.Concat(proxy.TunnelAddr is { } t ? [t] : []).Select(HostOf).Append("localhost").Distinct(StringComparer.Ordinal)],
            AuthAddr = proxy.AuthAddr,
            TunnelAddr = proxy.TunnelAddr,
            AuthAddrs = proxy.AuthAddrs,
            JoinToken = proxy.JoinToken,
            CaPin = proxy.CaPin,
            HandshakeTimeout = proxy.HandshakeTimeout,
            MaxConnections = proxy.MaxConnections,
            MaxConnectionsPerSource = proxy.MaxConnectionsPerSource,
            MaxTunnelHandshakes = proxy.MaxTunnelHandshakes,
        };
    }

    /// <summary>The host of a <c>host:port</c> (the text itself when it is not one).</summary>
    public static string HostOf(string hostPort) => Units.TryParseHostPort(hostPort, out var h, out _) ? h : hostPort;

    /// <summary>A listen address: an IP, or a name resolved to its first IPv4 address.</summary>
    public static IPEndPoint ParseEndPoint(string hostPort)
    {
        if (!Units.TryParseHostPort(hostPort, out var host, out var port))
        {
            throw new ConfigException($"expected host:port, got '{hostPort}'");
        }
        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }
        var resolved = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new ConfigException($"cannot resolve '{host}'");
        return new IPEndPoint(resolved, port);
    }
}
