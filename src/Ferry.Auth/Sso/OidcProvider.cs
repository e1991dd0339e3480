using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.Config;

namespace Ferry.Auth.Sso;

/// <summary>
/// One connector's OpenID Provider, as seen from ferryd: the discovery document (cached for
/// <see cref="DocumentLifetime"/>), the JWKS (cached as long; refetched on an unknown <c>kid</c> from a small budget —
/// <see cref="KeyRefetchBurst"/> refetches, one more every <see cref="KeyRefetchRefill"/>, never two within
/// <see cref="MinKeyRefetchSpacing"/>, one fetch at a time — so a rotation is picked up at once but a flood of bad
/// tokens cannot hammer the provider) and
/// the token endpoint. Every response is bounded (<see cref="MaxResponseBytes"/>) and every call has a timeout.
/// </summary>
internal sealed class OidcProvider : IVerificationKeySource, IDisposable
{
    public const int MaxResponseBytes = 512 * 1024;
    public const int MaxKeys = 64;
    public static readonly TimeSpan DocumentLifetime = TimeSpan.FromHours(1);
    public const int KeyRefetchBurst = 4;
    public static readonly TimeSpan KeyRefetchRefill = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MinKeyRefetchSpacing = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long a failed discovery is answered from memory before the provider is asked again.</summary>
    public static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(10);

    private readonly SsoConnectorConfig _config;
    private readonly string? _clientSecret;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private (OidcDiscoveryDocument Document, DateTimeOffset Fetched)? _discovery;
    private (SsoFailure Failure, DateTimeOffset At)? _discoveryFailure;
    private (IReadOnlyList<VerificationKey> Keys, DateTimeOffset Fetched)? _keys;
    private DateTimeOffset _lastKeyFetch = DateTimeOffset.MinValue;
    private double _refetchBudget = KeyRefetchBurst;
    private DateTimeOffset _budgetAt = DateTimeOffset.MinValue;

    public OidcProvider(SsoConnectorConfig config, string? clientSecret, TimeProvider time, X509Certificate2Collection? trustedCas)
    {
        _config = config;
        _clientSecret = clientSecret;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxResponseHeadersLength = 64,
        };
        if (trustedCas is { Count: > 0 })
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateWithPrivateCa(certificate, errors, trustedCas);
        }

        _http = new HttpClient(handler) { Timeout = RequestTimeout, MaxResponseContentBufferSize = MaxResponseBytes };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ferryd", "1"));
    }

    public SsoConnectorConfig Config => _config;

    /// <summary>The discovery document, fetched when missing or older than <see cref="DocumentLifetime"/>; its issuer must be exactly <c>issuer_url</c>.</summary>
    public async Task<OidcDiscoveryDocument> DiscoveryAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_discovery is { } cached && now - cached.Fetched < DocumentLifetime)
        {
            return cached.Document;
        }

        await _fetch.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_discovery is { } again && now - again.Fetched < DocumentLifetime)
            {
                return again.Document;
            }

            if (_discoveryFailure is { } failed && now - failed.At < FailureBackoff)
            {
                throw new SsoFailure(failed.Failure.Reason, failed.Failure.Message, failed.Failure.StatusCode);
            }

            try
            {
                var url = _config.IssuerUrl.TrimEnd('/') + "/.well-known/openid-configuration";
                var document = await GetJsonAsync(url, OidcJsonContext.Default.OidcDiscoveryDocument, "discovery document", ct).ConfigureAwait(false);
                Check(document);
                _discovery = (document, _time.GetUtcNow());
                _discoveryFailure = null;
                return document;
            }
            catch (SsoFailure e)
            {
                // A provider that is down is not asked again by every login start: a short back-off.
                _discoveryFailure = (e, _time.GetUtcNow());
                throw;
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<VerificationKey>> GetKeysAsync(bool refresh, CancellationToken ct)
    {
        if (_keys is { } cached && !refresh && _time.GetUtcNow() - cached.Fetched < DocumentLifetime)
        {
            return cached.Keys;
        }

        var discovery = await DiscoveryAsync(ct).ConfigureAwait(false);
        await _fetch.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_keys is { } again)
            {
                var fresh = now - again.Fetched < DocumentLifetime;
                if (!refresh && fresh)
                {
                    return again.Keys; // fetched by a concurrent caller meanwhile
                }

                if (refresh && fresh && !TakeRefetch(now))
                {
                    return again.Keys;
                }
            }

            _lastKeyFetch = now;
            var set = await GetJsonAsync(discovery.JwksUri!, OidcJsonContext.Default.JsonWebKeySet, "JWKS", ct).ConfigureAwait(false);
            var keys = VerificationKey.FromSet(set, MaxKeys);
            _keys = (keys, now);
            return keys;
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>Takes one refetch from the budget (called under the fetch lock).</summary>
    private bool TakeRefetch(DateTimeOffset now)
    {
        if (now - _lastKeyFetch < MinKeyRefetchSpacing)
        {
            return false;
        }

        if (_budgetAt != DateTimeOffset.MinValue && now > _budgetAt)
        {
            _refetchBudget = Math.Min(KeyRefetchBurst, _refetchBudget + ((now - _budgetAt) / KeyRefetchRefill));
        }

        _budgetAt = now;
        if (_refetchBudget < 1)
        {
            return false;
        }

        _refetchBudget -= 1;
        return true;
    }

    /// <summary>Number of JWKS fetches so far (for tests of the refetch limit).</summary>
    public int KeyFetches { get; private set; }

    /// <summary>Exchanges the authorization code (with the PKCE verifier) for the ID token, authenticating as the discovery document allows.</summary>
    public async Task<string> ExchangeCodeAsync(string code, string codeVerifier, CancellationToken ct)
    {
        var discovery = await DiscoveryAsync(ct).ConfigureAwait(false);
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", _config.RedirectUrl),
            new("code_verifier", codeVerifier),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, discovery.TokenEndpoint);
        var methods = discovery.TokenEndpointAuthMethodsSupported ?? ["client_secret_basic"];
        if (_clientSecret is null)
        {
            form.Add(new("client_id", _config.ClientId));
        }
        else if (methods.Contains("client_secret_basic") || !methods.Contains("client_secret_post"))
        {
            // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
            var basic = Uri.EscapeDataString(_config.ClientId) + ":" + Uri.EscapeDataString(_clientSecret);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(basic)));
        }
        else
        {
            form.Add(new("client_id", _config.ClientId));
            form.Add(new("client_secret", _clientSecret));
        }

        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        OidcTokenResponse? answer;
        HttpStatusCode status;
        try
        {
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            status = response.StatusCode;
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            try
            {
                answer = JsonSerializer.Deserialize(body, OidcJsonContext.Default.OidcTokenResponse);
            }
            catch (JsonException)
            {
                answer = null;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw Unreachable("token endpoint", e);
        }

        if (answer?.Error is { } error)
        {
            var description = answer.ErrorDescription is { Length: > 0 } d ? ": " + Bounded(d) : "";
            throw new SsoFailure(SsoFailure.Reasons.ProviderError,
                $"the provider refused the authorization code ({Bounded(error)}{description}): check the connector's client_id, client secret and that redirect_url is registered at the provider, then log in again");
        }

        if ((int)status is < 200 or >= 300 || answer?.IdToken is not { Length: > 0 } idToken)
        {
            throw new SsoFailure(SsoFailure.Reasons.ProviderError,
                $"the provider's token endpoint answered {(int)status} without an ID token: check that the scopes include openid");
        }

        return idToken;
    }

    private void Check(OidcDiscoveryDocument d)
    {
        if (d.Issuer != _config.IssuerUrl)
        {
            throw new SsoFailure(SsoFailure.Reasons.UnknownIssuer,
                $"the provider's discovery document names issuer \"{Bounded(d.Issuer ?? "(none)")}\", not \"{_config.IssuerUrl}\": set the connector's issuer_url to exactly the provider's issuer (mind the trailing slash)", 502);
        }

        foreach (var (name, url) in new[] { ("authorization_endpoint", d.AuthorizationEndpoint), ("token_endpoint", d.TokenEndpoint), ("jwks_uri", d.JwksUri) })
        {
            if (url is null || SsoConnectorParser.CheckUrl(url, name, allowQuery: true) is not null)
            {
                throw new SsoFailure(SsoFailure.Reasons.ProviderError,
                    $"the provider's discovery document has no usable {name} (an https URL), got \"{Bounded(url ?? "(none)")}\"", 502);
            }
        }

        if (d.CodeChallengeMethodsSupported is { Count: > 0 } pkce && !pkce.Contains("S256"))
        {
            throw new SsoFailure(SsoFailure.Reasons.ProviderError, "the provider does not support PKCE with S256 (code_challenge_methods_supported): enable it for this client", 502);
        }
    }

    private async Task<T> GetJsonAsync<T>(string url, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what, CancellationToken ct)
        where T : class
    {
        byte[] body;
        try
        {
            if (typeof(T) == typeof(JsonWebKeySet))
            {
                KeyFetches++;
            }

            using var response = await _http.GetAsync(url, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SsoFailure(SsoFailure.Reasons.Provider, $"the provider's {what} at {Bounded(url)} answered {(int)response.StatusCode}: check the connector's issuer_url", 502);
            }

            body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw Unreachable(what + " at " + Bounded(url), e);
        }

        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new SsoFailure(SsoFailure.Reasons.ProviderError, $"the provider's {what} at {Bounded(url)} is not valid JSON", 502);
        }
    }

    private static SsoFailure Unreachable(string what, Exception e)
    {
        var detail = e is TaskCanceledException ? $"no answer within {RequestTimeout.TotalSeconds:0}s" : Bounded(e.Message);
        return new SsoFailure(SsoFailure.Reasons.Provider,
            $"cannot reach the identity provider's {what} ({detail}): check that ferryd can reach the issuer (DNS, firewall, proxy) and, for a private CA, the connector's ca_file", 502);
    }

    private static bool ValidateWithPrivateCa(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private static string Bounded(string value) => value.Length <= 200 ? value : string.Concat(value.AsSpan(0, 200), "…");

    public void Dispose()
    {
        _http.Dispose();
        _fetch.Dispose();
    }
}
