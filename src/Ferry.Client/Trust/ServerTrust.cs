using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// How the client decides to trust the proxy and auth service: a host certificate issued by the pinned host CA,
/// valid now, naming the address the user typed. <see cref="Insecure"/> (development only) accepts anything.
/// </summary>
public sealed class ServerTrust
{
    private readonly IdentityVerifier? _verifier;

    private ServerTrust(IdentityVerifier? verifier, ProxyAddress address)
    {
        _verifier = verifier;
        Address = address;
    }

    public ProxyAddress Address { get; }

    public bool IsInsecure => _verifier is null;

    /// <summary>Trust host certificates from <paramref name="hostCas"/> that name <paramref name="address"/>.</summary>
    public static ServerTrust Pinned(IReadOnlyList<X509Certificate2> hostCas, ProxyAddress address) =>
        new(new IdentityVerifier(CaKind.Host, hostCas), address);

    /// <summary>Accept any server (development only).</summary>
    public static ServerTrust Insecure(ProxyAddress address) => new(null, address);

    /// <summary>Null when <paramref name="certificate"/> is trusted; otherwise why not, in one sentence.</summary>
    /// <param name="role">The host role the server must have: <see cref="HostRole.Auth"/> for API calls (a proxy passes them
    /// through untouched, so only the auth service can answer and no proxy sees a password), <see cref="HostRole.Proxy"/> for
    /// database connections; null accepts either.</param>
    public string? Check(X509Certificate? certificate, HostRole? role = null)
    {
        if (_verifier is null)
        {
            return null;
        }

        if (certificate is null)
        {
            return $"{Address} presented no certificate";
        }

        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var full = owned ?? (X509Certificate2)certificate;
        var result = _verifier.VerifyHost(full);
        if (!result.IsValid)
        {
            return $"{Address} presented a certificate that the pinned cluster CA does not vouch for ({result.Message})";
        }

        var host = result.Identity!;
        if (role is { } required ? host.Role != required : host.Role is not (HostRole.Proxy or HostRole.Auth))
        {
            return $"{Address} presented a {host.Role} host certificate, not {(role is { } r ? $"the {r} certificate this connection needs" : "a proxy or auth certificate")}";
        }

        if (!Address.MatchesNames(host.DnsNames, host.IpAddresses))
        {
            return $"{Address}'s certificate is for {string.Join(", ", host.DnsNames.Concat(host.IpAddresses.Select(i => i.ToString())))}, not {Address.Host}";
        }

        return null;
    }

    /// <summary>A validation callback for <see cref="SslStream"/> / <c>SocketsHttpHandler</c>; the last failure goes to <paramref name="failure"/>.</summary>
    public RemoteCertificateValidationCallback Callback(Action<string>? failure = null, HostRole? role = null) => (_, certificate, _, _) =>
    {
        var problem = Check(certificate, role);
        if (problem is not null)
        {
            failure?.Invoke(problem);
        }

        return problem is null;
    };
}
