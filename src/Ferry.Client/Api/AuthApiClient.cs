using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Client.Api;

/// <summary>
/// The auth service's HTTPS API as the client uses it, through the proxy address (TLS with ALPN h2/http/1.1 is passed
/// through to the auth service untouched, so mutual TLS with the user's certificate works end to end).
/// Every failure becomes a <see cref="FerryClientException"/> whose message names the cause and the fix.
/// </summary>
public sealed class AuthApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ServerTrust _trust;
    private string? _trustFailure;

    public AuthApiClient(ServerTrust trust, X509Certificate2? clientCertificate = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(trust);
        _trust = trust;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            SslOptions =
            {
                // Only the auth service may answer API calls (through a proxy they pass with their TLS untouched).
                RemoteCertificateValidationCallback = trust.Callback(f => _trustFailure = f, HostRole.Auth),
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = trust.Address.ApiBase,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
            // HTTP/2 makes the handler offer ALPN (h2, http/1.1): the proxy's port routes TLS to the API by ALPN.
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ferry", "0.1"));
    }

    /// <summary><c>GET /v1/ca</c> (no authentication).</summary>
    public Task<CaResponse> GetCaAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "v1/ca", null, AuthApiJsonContext.Default.CaResponse, ct);

    /// <summary><c>POST /v1/login</c>: password + TOTP for a certificate on <paramref name="publicKeyPem"/>.</summary>
    public Task<UserCertificateResponse> LoginAsync(string user, string password, string otp, string publicKeyPem, CancellationToken ct = default)
    {
        var body = JsonSerializer.Serialize(new LoginRequest { User = user, Password = password, Otp = otp, PublicKeyPem = publicKeyPem }, AuthApiJsonContext.Default.LoginRequest);
        return SendAsync(HttpMethod.Post, "v1/login", body, AuthApiJsonContext.Default.UserCertificateResponse, ct);
    }

    /// <summary><c>POST /v1/certs/user</c> (login certificate required): a certificate routed to one database.</summary>
    public Task<UserCertificateResponse> IssueRoutedAsync(string publicKeyPem, string service, string protocol, string dbUser, string dbName, CancellationToken ct = default)
    {
        var body = JsonSerializer.Serialize(new UserCertificateRequest
        {
            PublicKeyPem = publicKeyPem,
            Route = new RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser, DbName = dbName },
        }, AuthApiJsonContext.Default.UserCertificateRequest);
        return SendAsync(HttpMethod.Post, "v1/certs/user", body, AuthApiJsonContext.Default.UserCertificateResponse, ct);
    }

    /// <summary><c>GET /v1/databases</c> (login certificate required): what the caller's roles allow.</summary>
    public async Task<List<DatabaseEntry>> ListDatabasesAsync(CancellationToken ct = default)
    {
        var list = await SendAsync(HttpMethod.Get, "v1/databases", null, AuthApiJsonContext.Default.DatabasesResponse, ct).ConfigureAwait(false);
        return list.Databases;
    }

    /// <summary><c>GET /v1/audit/search</c> (a role with <c>audit_search</c> required).</summary>
    public Task<List<AuditEvent>> SearchAuditAsync(AuditSearch search, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        return SendAsync(HttpMethod.Get, "v1/audit/search" + search.ToQueryString(), null, AuditJsonContext.Default.ListAuditEvent, ct);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? json, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (_trustFailure is not null || e.InnerException is AuthenticationException)
        {
            throw new FerryClientException(_trustFailure is { } f
                ? f + ": if the cluster CA changed on purpose, run `ferry logout` and log in again"
                : $"TLS with {_trust.Address} failed ({e.InnerException?.Message ?? e.Message})", e);
        }
        catch (HttpRequestException e)
        {
            throw new FerryClientException($"cannot reach the proxy at {_trust.Address} ({Innermost(e)}): check the address and that the proxy is running", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new FerryClientException($"the proxy at {_trust.Address} did not answer in {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new FerryClientException(ErrorMessage(response.StatusCode, path, text));
            }

            try
            {
                return JsonSerializer.Deserialize(text, type) ?? throw new FerryClientException($"{path}: empty answer from {_trust.Address}");
            }
            catch (JsonException e)
            {
                throw new FerryClientException($"{path}: {_trust.Address} answered something that is not the Ferry API ({e.Message})", e);
            }
        }
    }

    internal static string ErrorMessage(HttpStatusCode status, string path, string body)
    {
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.ErrorResponse)?.Error;
        }
        catch (JsonException)
        {
            // Not a JSON error body (a proxy's HTML page, say): the status and raw body below say what happened.
        }

        if (string.IsNullOrEmpty(message))
        {
            message = status == HttpStatusCode.NotFound
                ? $"the cluster does not offer /{path.Split('?')[0]} (is the proxy a Ferry version this client knows?)"
                : $"{(int)status} {status}";
        }

        return message;
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    public void Dispose() => _http.Dispose();
}
