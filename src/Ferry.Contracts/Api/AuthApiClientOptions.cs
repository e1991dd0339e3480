using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Contracts;

/// <summary>Where the auth API is, how its server is trusted, what the caller presents, and how failures are worded.</summary>
public sealed class AuthApiClientOptions
{
    /// <summary><c>https://host:port/</c> of the auth service, or of a proxy's port 3080 (API connections are passed through to the auth service).</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>Checks the server: only the auth service (host role <c>auth</c>) may answer API calls.</summary>
    public required RemoteCertificateValidationCallback ValidateServer { get; init; }

    /// <summary>The client certificate of the moment (a host's renewed certificate, a user's login certificate); null presents none.</summary>
    public Func<X509Certificate2?> ClientCertificate { get; init; } = static () => null;

    /// <summary>How long a call may take (a lock watch, which streams, has no limit).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Offer ALPN h2 and http/1.1 (and use HTTP/2 when the server agrees) instead of HTTP/1.1 alone.</summary>
    public bool PreferHttp2 { get; init; }

    /// <summary><c>product/version</c> sent as User-Agent; null sends none.</summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// Every <c>host:port</c> the API answers at (several auth servers on one backend, or several proxies' port 3080), in
    /// order of preference; empty means <see cref="BaseAddress"/> alone. A new connection goes to the address that last
    /// worked; when it refuses or does not answer within <see cref="ConnectTimeout"/> the next one is tried, after a short
    /// jittered pause, and <see cref="Failover"/> is told.
    /// </summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>Called when a connection went to another address than the one preferred until then: (from, to, why).</summary>
    public Action<string, string, string>? Failover { get; init; }

    /// <summary>Turns a failed call into the exception thrown; the default words it for a host's log (<see cref="AuthApiException"/>).</summary>
    public Func<AuthApiFailure, Exception> Failure { get; init; } = AuthApiClient.HostFailure;
}
