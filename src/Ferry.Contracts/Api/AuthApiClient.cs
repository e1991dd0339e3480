using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Contracts;

/// <summary>
/// The auth service's HTTPS API, for every caller: proxies and agents (host certificate, straight to
/// <c>auth_addr</c> or through a proxy's port 3080) and <c>ferry</c> (login certificate, through the proxy,
/// whose port passes API connections through with their TLS untouched). Failures become the exception
/// <see cref="AuthApiClientOptions.Failure"/> makes of them, so each caller words them for its reader.
/// </summary>
public sealed class AuthApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly AuthApiClientOptions _options;
    private readonly Version _version;
    private readonly AuthAddressFailover? _failover;

    public AuthApiClient(AuthApiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var clientCertificate = options.ClientCertificate;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.ConnectTimeout,
            SslOptions =
            {
                RemoteCertificateValidationCallback = options.ValidateServer,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate()!,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
        };
        if (options.Addresses.Count > 1)
        {
            _failover = new AuthAddressFailover(options.Addresses, options.ConnectTimeout, options.Failover);
            handler.ConnectCallback = _failover.ConnectAsync;
            handler.ConnectTimeout = _failover.TotalConnectTimeout;
        }

        _http = new HttpClient(handler) { BaseAddress = options.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        // HTTP/2 makes the handler offer ALPN (h2, http/1.1): a proxy's port routes TLS to the API by ALPN.
        _version = options.PreferHttp2 ? HttpVersion.Version20 : HttpVersion.Version11;
        if (options.UserAgent is { } agent)
        {
            _http.DefaultRequestHeaders.UserAgent.Add(ProductInfoHeaderValue.Parse(agent));
        }
    }

    /// <summary>A host's client: <paramref name="hostPort"/> of the auth service or a proxy, its current certificate, the server check.</summary>
    public AuthApiClient(string hostPort, Func<X509Certificate2?> clientCertificate, System.Net.Security.RemoteCertificateValidationCallback validateServer)
        : this(new AuthApiClientOptions { BaseAddress = new Uri("https://" + hostPort), ClientCertificate = clientCertificate, ValidateServer = validateServer })
    {
    }

    /// <summary>A host's client for several addresses of the API (first preferred), failing over between them.</summary>
    public AuthApiClient(IReadOnlyList<string> hostPorts, Func<X509Certificate2?> clientCertificate, System.Net.Security.RemoteCertificateValidationCallback validateServer, Action<string, string, string>? failover = null)
        : this(new AuthApiClientOptions { BaseAddress = new Uri("https://" + hostPorts[0]), Addresses = hostPorts, ClientCertificate = clientCertificate, ValidateServer = validateServer, Failover = failover })
    {
    }

    /// <summary>The address new connections go to first (the one that last worked).</summary>
    public string PreferredAddress => _failover?.Preferred ?? _options.BaseAddress.Authority;

    /// <summary><c>GET /v1/ca</c> (no authentication).</summary>
    public Task<CaResponse> GetCaAsync(CancellationToken ct = default) => GetAsync("/v1/ca", AuthApiJsonContext.Default.CaResponse, ct);

    /// <summary><c>POST /v1/login</c>: password and TOTP for a login certificate.</summary>
    public Task<UserCertificateResponse> LoginAsync(LoginRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/login", Json(request, AuthApiJsonContext.Default.LoginRequest), AuthApiJsonContext.Default.UserCertificateResponse, ct);

    /// <summary><c>GET /v1/sso/connectors</c> (no authentication): the single sign-on connectors users may log in with.</summary>
    public Task<List<SsoConnectorInfo>> ListSsoConnectorsAsync(CancellationToken ct = default) =>
        GetAsync("/v1/sso/connectors", AuthApiJsonContext.Default.ListSsoConnectorInfo, ct);

    /// <summary><c>POST /v1/sso/{connector}/login</c> (no authentication): starts a single sign-on login; open <c>auth_url</c> in a browser.</summary>
    public Task<SsoLoginResponse> StartSsoLoginAsync(string connector, SsoLoginRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/sso/" + Uri.EscapeDataString(connector) + "/login", Json(request, AuthApiJsonContext.Default.SsoLoginRequest), AuthApiJsonContext.Default.SsoLoginResponse, ct);

    /// <summary><c>POST /v1/sso/result</c> (no authentication; the secret proves the caller started the login): the certificate, once.</summary>
    public Task<UserCertificateResponse> GetSsoResultAsync(SsoResultRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/sso/result", Json(request, AuthApiJsonContext.Default.SsoResultRequest), AuthApiJsonContext.Default.UserCertificateResponse, ct);

    /// <summary><c>POST /v1/certs/user</c> (login certificate required): a certificate routed to one database.</summary>
    public Task<UserCertificateResponse> IssueUserCertificateAsync(UserCertificateRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/certs/user", Json(request, AuthApiJsonContext.Default.UserCertificateRequest), AuthApiJsonContext.Default.UserCertificateResponse, ct);

    /// <summary><c>GET /v1/databases</c> (login certificate required): what the caller's roles allow.</summary>
    /// <summary><c>POST /v1/mfa/devices</c>: starts adding a TOTP device (user certificate).</summary>
    public Task<MfaDeviceEnrolment> AddMfaDeviceAsync(MfaDeviceRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/mfa/devices", Json(request, AuthApiJsonContext.Default.MfaDeviceRequest), AuthApiJsonContext.Default.MfaDeviceEnrolment, ct);

    /// <summary><c>POST /v1/mfa/devices/confirm</c>: activates a pending device with its first code.</summary>
    public Task<MfaDevicesResponse> ConfirmMfaDeviceAsync(MfaDeviceRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/mfa/devices/confirm", Json(request, AuthApiJsonContext.Default.MfaDeviceRequest), AuthApiJsonContext.Default.MfaDevicesResponse, ct);

    /// <summary><c>POST /v1/mfa/devices/delete</c>: removes a device (a code of any device required).</summary>
    public Task<MfaDevicesResponse> DeleteMfaDeviceAsync(MfaDeviceRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/mfa/devices/delete", Json(request, AuthApiJsonContext.Default.MfaDeviceRequest), AuthApiJsonContext.Default.MfaDevicesResponse, ct);

    /// <summary><c>GET /v1/mfa/devices</c>.</summary>
    public Task<MfaDevicesResponse> ListMfaDevicesAsync(CancellationToken ct = default) => GetAsync("/v1/mfa/devices", AuthApiJsonContext.Default.MfaDevicesResponse, ct);

    /// <summary><c>POST /v1/access-requests</c>: ask for roles or resources.</summary>
    public Task<AccessRequestInfo> CreateAccessRequestAsync(AccessRequestCreate request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/access-requests", Json(request, AuthApiJsonContext.Default.AccessRequestCreate), AuthApiJsonContext.Default.AccessRequestInfo, ct);

    /// <summary><c>GET /v1/access-requests</c>: the caller's requests and those the caller may review; <paramref name="state"/> filters (null: all).</summary>
    public Task<AccessRequestsResponse> ListAccessRequestsAsync(string? state = null, CancellationToken ct = default) =>
        GetAsync(state is null ? "/v1/access-requests" : "/v1/access-requests?state=" + Uri.EscapeDataString(state), AuthApiJsonContext.Default.AccessRequestsResponse, ct);

    /// <summary><c>GET /v1/access-requests/{id}</c>.</summary>
    public Task<AccessRequestInfo> GetAccessRequestAsync(string id, CancellationToken ct = default) =>
        GetAsync("/v1/access-requests/" + Uri.EscapeDataString(id), AuthApiJsonContext.Default.AccessRequestInfo, ct);

    /// <summary><c>POST /v1/access-requests/{id}/review</c>: approve or deny.</summary>
    public Task<AccessRequestInfo> ReviewAccessRequestAsync(string id, AccessRequestReview review, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/access-requests/" + Uri.EscapeDataString(id) + "/review", Json(review, AuthApiJsonContext.Default.AccessRequestReview), AuthApiJsonContext.Default.AccessRequestInfo, ct);

    /// <summary><c>POST /v1/access-requests/{id}/drop</c>: end a grant early or withdraw a pending request.</summary>
    public Task<AccessRequestInfo> DropAccessRequestAsync(string id, AccessRequestDrop drop, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/access-requests/" + Uri.EscapeDataString(id) + "/drop", Json(drop, AuthApiJsonContext.Default.AccessRequestDrop), AuthApiJsonContext.Default.AccessRequestInfo, ct);

    public Task<DatabasesResponse> ListDatabasesAsync(CancellationToken ct = default) => GetAsync("/v1/databases", AuthApiJsonContext.Default.DatabasesResponse, ct);

    /// <summary><c>POST /v1/join</c> (no certificate; the token authenticates): a host's first certificate.</summary>
    public Task<HostCertificateResponse> JoinAsync(JoinRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/join", Json(request, AuthApiJsonContext.Default.JoinRequest), AuthApiJsonContext.Default.HostCertificateResponse, ct);

    /// <summary><c>POST /v1/hosts/renew</c> (host certificate required).</summary>
    public Task<HostCertificateResponse> RenewAsync(HostRenewRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/hosts/renew", Json(request, AuthApiJsonContext.Default.HostRenewRequest), AuthApiJsonContext.Default.HostCertificateResponse, ct);

    public Task<RolesResponse> GetRolesAsync(CancellationToken ct = default) => GetAsync("/v1/roles", AuthApiJsonContext.Default.RolesResponse, ct);

    public Task<LocksResponse> GetLocksAsync(CancellationToken ct = default) => GetAsync("/v1/locks", AuthApiJsonContext.Default.LocksResponse, ct);

    /// <summary><c>POST /v1/db-certs</c> (agent host certificate required).</summary>
    public Task<DbCertificateResponse> IssueDbCertificateAsync(DbCertificateRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/db-certs", Json(request, AuthApiJsonContext.Default.DbCertificateRequest), AuthApiJsonContext.Default.DbCertificateResponse, ct);

    /// <summary><c>POST /v1/agents/databases</c> (agent host certificate required): the databases this agent serves.</summary>
    public Task<AgentDatabasesResponse> RegisterAgentDatabasesAsync(AgentDatabasesReport report, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/agents/databases", Json(report, AuthApiJsonContext.Default.AgentDatabasesReport), AuthApiJsonContext.Default.AgentDatabasesResponse, ct);

    /// <summary><c>POST /v1/agents/sessions</c> (agent host certificate required): the sessions this agent relays now.</summary>
    public async Task ReportLiveSessionsAsync(LiveSessionsReport report, CancellationToken ct = default)
    {
        using var response = await RawAsync(HttpMethod.Post, "/v1/agents/sessions", Json(report, AuthApiJsonContext.Default.LiveSessionsReport), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/egress</c> (agent host certificate required): egress usage deltas in, totals across the cluster out.</summary>
    public Task<EgressReportResponse> ReportEgressAsync(EgressReport report, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/egress", Json(report, AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse, ct);

    /// <summary><c>GET /v1/sessions</c>: the live sessions the caller may see.</summary>
    public Task<LiveSessionsResponse> ListLiveSessionsAsync(CancellationToken ct = default) =>
        GetAsync("/v1/sessions", AuthApiJsonContext.Default.LiveSessionsResponse, ct);

    /// <summary><c>POST /v1/sessions/{id}/end</c> (the <c>admin</c> role): end a live session.</summary>
    public Task<SessionEndResponse> EndSessionAsync(string id, SessionEndRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "/v1/sessions/" + Uri.EscapeDataString(id) + "/end", Json(request, AuthApiJsonContext.Default.SessionEndRequest), AuthApiJsonContext.Default.SessionEndResponse, ct);

    /// <summary><c>POST /v1/inventory</c> (proxy host certificate required).</summary>
    public async Task ReportInventoryAsync(InventoryReport report, CancellationToken ct = default)
    {
        using var response = await RawAsync(HttpMethod.Post, "/v1/inventory", Json(report, AuthApiJsonContext.Default.InventoryReport), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/audit/events</c>: a JSON array of audit events, as spooled.</summary>
    public async Task UploadAuditAsync(ReadOnlyMemory<byte> eventsJson, CancellationToken ct = default)
    {
        var content = new ReadOnlyMemoryContent(eventsJson);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await RawAsync(HttpMethod.Post, "/v1/audit/events", content, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>Follows <c>/v1/locks/watch</c> until the connection ends: every line, pings included.</summary>
    public async IAsyncEnumerable<LockWatchEvent> WatchLocksAsync([EnumeratorCancellation] CancellationToken ct = default)
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

    /// <summary>A <c>GET</c> whose answer is read with <paramref name="type"/> (for payloads defined outside this project, e.g. audit search results).</summary>
    public Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> type, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, pathAndQuery, null, type, ct);

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
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException e)
        {
            throw Fail(AuthApiFailureKind.Malformed, path, response.StatusCode, System.Text.Encoding.UTF8.GetString(body), e);
        }
        return value ?? throw Fail(AuthApiFailureKind.Empty, path, response.StatusCode, "", null);
    }

    private async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, HttpContent? content, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'))
        {
            Content = content,
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (completion == HttpCompletionOption.ResponseContentRead)
            {
                timeout.CancelAfter(_options.Timeout);
            }
            response = await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Fail(AuthApiFailureKind.Unreachable, path, 0, "", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw Fail(AuthApiFailureKind.TimedOut, path, 0, "", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw Fail(AuthApiFailureKind.ErrorStatus, path, response.StatusCode, text, null);
            }
        }
        return response;
    }

    private Exception Fail(AuthApiFailureKind kind, string path, HttpStatusCode status, string body, Exception? cause) => _options.Failure(new AuthApiFailure
    {
        Kind = kind,
        Path = path,
        BaseAddress = _options.BaseAddress,
        StatusCode = (int)status,
        Body = body,
        ServerMessage = kind == AuthApiFailureKind.ErrorStatus ? ErrorText(body) : null,
        Timeout = _options.Timeout,
        Cause = cause,
    });

    private static string? ErrorText(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.ErrorResponse)?.Error;
        }
        catch (JsonException)
        {
            return null; // not an {"error":…} document: the caller words the status instead
        }
    }

    /// <summary>The default wording, for a host's log: an <see cref="AuthApiException"/> naming the auth service and the path.</summary>
    public static Exception HostFailure(AuthApiFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Kind switch
        {
            AuthApiFailureKind.Unreachable => new AuthApiException(0, $"cannot reach the auth service at {failure.BaseAddress}: {Describe(failure.Cause!)}", failure.Cause),
            AuthApiFailureKind.TimedOut => new AuthApiException(0, $"the auth service at {failure.BaseAddress} did not answer {failure.Path} in time", failure.Cause),
            AuthApiFailureKind.ErrorStatus => new AuthApiException(failure.StatusCode, $"{failure.Path}: {failure.StatusCode} {failure.ServerMessage ?? failure.Body}"),
            AuthApiFailureKind.Empty => new AuthApiException(failure.StatusCode, $"{failure.Path}: empty response"),
            _ => new AuthApiException(failure.StatusCode, $"{failure.Path}: malformed response: {failure.Cause?.Message}", failure.Cause),
        };
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
