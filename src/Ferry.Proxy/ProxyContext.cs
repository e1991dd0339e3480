using System.Net;
using System.Net.Security;
using Ferry.Audit;
using Ferry.Identity;

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

    /// <summary>
    /// The chain policy for client certificates in the proxy's TLS handshakes: only the user and host CAs,
    /// revocation and downloads off. The handshake's own chain build is not Ferry's decision (the verifiers
    /// decide after it), but without this policy it would search the system trust store for every connection.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509ChainPolicy ClientChainPolicy =>
        _clientChainPolicy ??= TlsValidation.TrustOnly(UserVerifier.TrustedRoots.Concat(HostVerifier.TrustedRoots));

    private System.Security.Cryptography.X509Certificates.X509ChainPolicy? _clientChainPolicy;

    public required IAuditSink Audit { get; init; }

    /// <summary>Returns the reason text when a lock covers this user or the database; otherwise null.</summary>
    public Func<UserIdentity, string, string?> FindLock { get; init; } = static (_, _) => null;

    /// <summary>Where HTTPS API connections (ALPN h2 / http/1.1) are passed through, TLS untouched.</summary>
    public EndPoint? AuthApiEndPoint { get; init; }

    public AgentRegistry Agents { get; } = new();

    public ProxyCancelMap Cancels { get; } = new();

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
