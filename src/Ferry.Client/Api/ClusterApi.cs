using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Client.Api;

/// <summary>
/// The auth service's HTTPS API as <c>ferry</c> reaches it: through the proxy address (TLS with ALPN h2/http/1.1
/// is passed through to the auth service untouched, so mutual TLS with the user's certificate works end to end),
/// trusting only the auth service. Every failure becomes a <see cref="FerryClientException"/> whose message
/// names the cause and the fix.
/// </summary>
public static class ClusterApi
{
    /// <summary>An API client that checks the server with <paramref name="trust"/> and presents <paramref name="clientCertificate"/> when given.</summary>
    public static AuthApiClient Open(ServerTrust trust, X509Certificate2? clientCertificate = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        string? trustFailure = null;
        return new AuthApiClient(new AuthApiClientOptions
        {
            BaseAddress = trust.Address.ApiBase,
            // Only the auth service may answer API calls (through a proxy they pass with their TLS untouched).
            ValidateServer = trust.Callback(f => trustFailure = f, HostRole.Auth),
            ClientCertificate = () => clientCertificate,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PreferHttp2 = true,
            UserAgent = "ferry/0.1",
            Failure = f => Describe(f, trust.Address, trustFailure),
        });
    }

    /// <summary><c>GET /v1/audit/search</c> (a role with <c>audit_search</c> required).</summary>
    public static Task<List<AuditEvent>> SearchAuditAsync(this AuthApiClient api, AuditSearch search, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(search);
        return api.GetAsync("/v1/audit/search" + search.ToQueryString(), AuditJsonContext.Default.ListAuditEvent, ct);
    }

    /// <summary><c>GET /v1/audit/sessions/{id}</c>: one session's playback (a role with <c>audit_search</c> required).</summary>
    public static Task<SessionPlaybackView> GetSessionPlaybackAsync(this AuthApiClient api, string sessionId, string? since = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(sessionId);
        var path = "/v1/audit/sessions/" + Uri.EscapeDataString(sessionId) + (since is null ? "" : "?since=" + Uri.EscapeDataString(since));
        return api.GetAsync(path, AuditJsonContext.Default.SessionPlaybackView, ct);
    }

    private static FerryClientException Describe(AuthApiFailure f, ProxyAddress address, string? trustFailure)
    {
        var path = f.Path.TrimStart('/');
        return f.Kind switch
        {
            AuthApiFailureKind.Unreachable when trustFailure is not null || f.Cause?.InnerException is AuthenticationException =>
                Error(trustFailure is { } t
                    ? t + ": if the cluster CA changed on purpose, run `ferry logout` and log in again"
                    : $"TLS with {address} failed ({f.Cause?.InnerException?.Message ?? f.Cause?.Message})", f.Cause),
            AuthApiFailureKind.Unreachable =>
                Error($"cannot reach the proxy at {address} ({Innermost(f.Cause!)}): check the address and that the proxy is running", f.Cause),
            AuthApiFailureKind.TimedOut =>
                Error($"the proxy at {address} did not answer in {f.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s", f.Cause),
            AuthApiFailureKind.ErrorStatus when f.StatusCode == SessionMfa.RequiredStatus =>
                new SessionMfaRequiredException(ErrorMessage((HttpStatusCode)f.StatusCode, path, f.ServerMessage)),
            AuthApiFailureKind.ErrorStatus => new FerryClientException(ErrorMessage((HttpStatusCode)f.StatusCode, path, f.ServerMessage)),
            AuthApiFailureKind.Empty => new FerryClientException($"{path}: empty answer from {address}"),
            _ => Error($"{path}: {address} answered something that is not the Ferry API ({f.Cause?.Message})", f.Cause),
        };
    }

    private static FerryClientException Error(string message, Exception? cause) => cause is null ? new(message) : new(message, cause);

    internal static string ErrorMessage(HttpStatusCode status, string path, string? serverMessage) =>
        !string.IsNullOrEmpty(serverMessage) ? serverMessage
        : status == HttpStatusCode.NotFound ? $"the cluster does not offer /{path.Split('?')[0]} (is the proxy a Ferry version this client knows?)"
        : $"{(int)status} {status}";

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }
}
