using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Audit;
using Ferry.Contracts;

namespace Ferry.Hosting;

/// <summary>
/// A host's client for the auth HTTPS API, either directly (<c>auth_addr</c>) or through a proxy's
/// port 3080 (ALPN http/1.1 is passed through to the auth service). It presents the host
/// certificate of the moment and checks the server with the given callback (pinned host CA).
/// </summary>
public sealed class AuthApiClient : IDisposable
{
    private readonly HttpClient _http;

    public AuthApiClient(string hostPort, Func<X509Certificate2?> clientCertificate, RemoteCertificateValidationCallback validateServer)
    {
        ArgumentNullException.ThrowIfNull(clientCertificate);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions =
            {
                RemoteCertificateValidationCallback = validateServer,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate()!,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("https://" + hostPort), Timeout = Timeout.InfiniteTimeSpan };
    }

    public Task<CaResponse> GetCaAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "/v1/ca", null, AuthApiJsonContext.Default.CaResponse, ct);

    public Task<HostCertificateResponse> JoinAsync(JoinRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/v1/join", Json(request, AuthApiJsonContext.Default.JoinRequest), AuthApiJsonContext.Default.HostCertificateResponse, ct);

    public Task<HostCertificateResponse> RenewAsync(HostRenewRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/v1/hosts/renew", Json(request, AuthApiJsonContext.Default.HostRenewRequest), AuthApiJsonContext.Default.HostCertificateResponse, ct);

    public Task<RolesResponse> GetRolesAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "/v1/roles", null, AuthApiJsonContext.Default.RolesResponse, ct);

    public Task<LocksResponse> GetLocksAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "/v1/locks", null, AuthApiJsonContext.Default.LocksResponse, ct);

    public Task<DbCertificateResponse> IssueDbCertificateAsync(DbCertificateRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/v1/db-certs", Json(request, AuthApiJsonContext.Default.DbCertificateRequest), AuthApiJsonContext.Default.DbCertificateResponse, ct);

    public async Task ReportInventoryAsync(InventoryReport report, CancellationToken ct)
    {
        using var response = await RawAsync(HttpMethod.Post, "/v1/inventory", Json(report, AuthApiJsonContext.Default.InventoryReport), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    public async Task UploadAuditAsync(ReadOnlyMemory<byte> eventsJson, CancellationToken ct)
    {
        var content = new ReadOnlyMemoryContent(eventsJson);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await RawAsync(HttpMethod.Post, "/v1/audit/events", content, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>Follows <c>/v1/locks/watch</c> until the connection ends: every line, pings included.</summary>
    public async IAsyncEnumerable<LockWatchEvent> WatchLocksAsync([EnumeratorCancellation] CancellationToken ct)
    {
        using var response = await RawAsync(HttpMethod.Get, "/v1/locks/watch", null, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            var e = JsonSerializer.Deserialize(line, AuthApiJsonContext.Default.LockWatchEvent);
            if (e is not null)
            {
                yield return e;
            }
        }
    }

    private static ByteArrayContent Json<T>(T value, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await RawAsync(method, path, content, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new AuthApiException((int)response.StatusCode, $"{path}: empty response");
        }
        catch (JsonException e)
        {
            throw new AuthApiException((int)response.StatusCode, $"{path}: malformed response: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, HttpContent? content, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (completion == HttpCompletionOption.ResponseContentRead)
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
            }
            response = await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AuthApiException(0, $"cannot reach the auth service at {_http.BaseAddress}: {Describe(e)}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new AuthApiException(0, $"the auth service at {_http.BaseAddress} did not answer {path} in time", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                string message;
                try
                {
                    message = JsonSerializer.Deserialize(text, AuthApiJsonContext.Default.ErrorResponse)?.Error ?? text;
                }
                catch (JsonException)
                {
                    message = text;
                }
                throw new AuthApiException((int)response.StatusCode, $"{path}: {(int)response.StatusCode} {message}");
            }
        }
        return response;
    }

    /// <summary>The innermost causes too: HttpClient's own message says little ("an error occurred while sending the request").</summary>
    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            parts.Add(x.Message);
        }
        return string.Join(": ", parts.Distinct(StringComparer.Ordinal));
    }

    public void Dispose() => _http.Dispose();
}
