using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Hosting;
using Ferry.Identity;

namespace Ferry.Proxy.Hosting;

/// <summary>What the host running a proxy role provides: the cluster's trust, the certificate, the locks and the audit sink.</summary>
public sealed class ProxyRoleServices
{
    public required string ClusterName { get; init; }

    /// <summary>The proxy's host certificate of the moment (the role picks up a renewed one).</summary>
    public required Func<X509Certificate2> Certificate { get; init; }

    public required IdentityVerifier UserVerifier { get; init; }

    public required IdentityVerifier HostVerifier { get; init; }

    public required IAuditSink Audit { get; init; }

    /// <summary>The cluster's locks, as this host follows them.</summary>
    public required LockFollower Locks { get; init; }

    /// <summary>Where API connections (ALPN h2 / http/1.1) are passed through to.</summary>
    public required EndPoint AuthApiEndPoint { get; init; }

    /// <summary>Further auth servers, tried in order when <see cref="AuthApiEndPoint"/> refuses or times out.</summary>
    public IReadOnlyList<EndPoint> AuthApiFallbackEndPoints { get; init; } = [];
}
