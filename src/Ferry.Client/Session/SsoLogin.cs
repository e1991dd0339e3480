using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Client.Api;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Text;

namespace Ferry.Client;

/// <summary>
/// <c>ferry login --sso</c>: the key pair is made here as for a local login; a loopback listener waits for the
/// browser; the cluster starts the login at the identity provider (<c>POST /v1/sso/{connector}/login</c> with the
/// public key, the loopback address and the SHA-256 of a secret kept in memory); when the browser comes back, the
/// certificate is fetched once with the secret (<c>POST /v1/sso/result</c>) and stored exactly like a local login.
/// Only the cluster's answer counts: the loopback request's <c>status</c> could come from anyone on this machine.
/// </summary>
public static class SsoLogin
{
    /// <summary>How long ferry waits for the browser, at most (the cluster's own expiry may be sooner).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    /// <summary><c>GET /v1/sso/connectors</c> (no login needed).</summary>
    public static async Task<List<SsoConnectorInfo>> ListConnectorsAsync(ClusterTrust cluster, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        using var api = ClusterApi.Open(cluster.Trust);
        return await api.ListSsoConnectorsAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Picks the connector: <paramref name="requested"/> when the cluster offers it, else the only one. The errors list
    /// what the cluster offers.
    /// </summary>
    public static SsoConnectorInfo Choose(IReadOnlyList<SsoConnectorInfo> connectors, string? requested, ProxyAddress address)
    {
        ArgumentNullException.ThrowIfNull(connectors);
        if (connectors.Count == 0)
        {
            throw new FerryClientException($"the cluster at {address} offers no single sign-on: log in with --user NAME, or ask an administrator to add a connector (ferryd admin sso add …)");
        }

        var offered = string.Join(Environment.NewLine, connectors.Select(c => $"  {c.Name,-20} {c.DisplayName}"));
        if (string.IsNullOrEmpty(requested))
        {
            return connectors.Count == 1
                ? connectors[0]
                : throw new FerryClientException($"the cluster at {address} offers several single sign-on connectors: pass --sso NAME with one of{Environment.NewLine}{offered}");
        }

        return connectors.FirstOrDefault(c => string.Equals(c.Name, requested, StringComparison.Ordinal))
            ?? throw new FerryClientException($"the cluster at {address} has no single sign-on connector \"{requested}\": pass --sso NAME with one of{Environment.NewLine}{offered}");
    }

    /// <summary>
    /// Runs the login: <paramref name="openBrowser"/> is called once with the provider's address (open it, or print it).
    /// Waits at most <paramref name="timeout"/> for the browser; <paramref name="ct"/> (Ctrl-C) stops the wait and the listener.
    /// </summary>
    public static async Task<ClientSession> LoginAsync(FerryPaths paths, ClusterTrust cluster, SsoConnectorInfo connector, Action<Uri, DateTimeOffset> openBrowser, string? mySqlProxy, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(openBrowser);
        using var key = KeyPair.Generate();
        var reply = await RunAsync(cluster.Trust, connector.Name, new SsoLoginRequest { PublicKeyPem = key.ExportPublicKeyPem() }, openBrowser, timeout,
            $"run `ferry login --proxy {cluster.Address} --sso {connector.Name}` again", ct).ConfigureAwait(false);
        var identity = ReadIdentity(reply);
        return LoginFlow.Save(paths, cluster, identity.User, key, reply, mySqlProxy, connector.Name);
    }

    /// <summary>
    /// Session MFA through the identity provider: the same flow as the login, for <paramref name="session"/>'s key and
    /// with <paramref name="route"/>, so the cluster asks the provider for a fresh authentication (<c>prompt=login</c>,
    /// <c>max_age=0</c>) and issues a 1-minute session-MFA certificate when the ID token shows the MFA the connector
    /// trusts. With <paramref name="requestGrant"/> the answer also holds an MFA grant (<c>ferry proxy db</c>). The
    /// certificate must name the user of <paramref name="session"/>: signing in at the provider as someone else is refused.
    /// </summary>
    public static async Task<(UserCertificateResponse Reply, X509Certificate2 Certificate)> SessionMfaAsync(ClientSession session, string connector, RouteRequest route, bool requestGrant, Action<Uri, DateTimeOffset> openBrowser, TimeSpan timeout, string retry, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(openBrowser);
        var reply = await RunAsync(session.Trust, connector, new SsoLoginRequest
        {
            PublicKeyPem = session.Key.ExportPublicKeyPem(),
            Route = route,
            RequestMfaGrant = requestGrant ? true : null,
        }, openBrowser, timeout, retry, ct).ConfigureAwait(false);
        var identity = ReadIdentity(reply);
        if (identity.User != session.Identity.User)
        {
            throw new FerryClientException($"you signed in at the identity provider as \"{identity.User}\", but this login is \"{session.Identity.User}\": sign in at the provider as {session.Identity.User} ({retry}), or log in to Ferry as {identity.User} first");
        }

        if (!identity.MfaVerified || identity.Route?.ServiceName != route.Service)
        {
            throw new FerryClientException($"the cluster answered the MFA sign-in for {route.Service} without a session-MFA certificate: check connector {connector} with an administrator");
        }

        try
        {
            return (reply, TlsCertificates.FromPem(reply.CertificatePem, session.Key.ExportPrivateKeyPem()));
        }
        catch (CryptographicException e)
        {
            throw new FerryClientException($"the cluster sent a certificate that does not match this login's key ({e.Message}): {retry}", e);
        }
    }

    /// <summary>
    /// The browser round trip: a loopback listener, <c>POST /v1/sso/{connector}/login</c> with <paramref name="request"/>
    /// (its redirect and secret filled in here), the provider's page shown by <paramref name="openBrowser"/>, then the
    /// cluster's answer fetched once with the secret. <paramref name="retry"/> completes the message when the browser does not come back.
    /// </summary>
    private static async Task<UserCertificateResponse> RunAsync(ServerTrust trust, string connector, SsoLoginRequest request, Action<Uri, DateTimeOffset> openBrowser, TimeSpan timeout, string retry, CancellationToken ct)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        try
        {
            var secretHex = Convert.ToHexStringLower(secret);
            using var listener = LoopbackRedirectListener.Start();
            using var api = ClusterApi.Open(trust);
            request.RedirectUrl = listener.RedirectUrl.ToString();
            request.SecretSha256 = Convert.ToHexStringLower(SHA256.HashData(secret));
            var started = await api.StartSsoLoginAsync(connector, request, ct).ConfigureAwait(false);
            if (!Uri.TryCreate(started.AuthUrl, UriKind.Absolute, out var authUrl) || (authUrl.Scheme != Uri.UriSchemeHttps && authUrl.Scheme != Uri.UriSchemeHttp))
            {
                throw new FerryClientException($"the cluster answered the single sign-on request without a usable provider address ({started.AuthUrl}): check connector {connector} with an administrator");
            }

            var wait = timeout;
            if (started.Expires != default && started.Expires - DateTimeOffset.UtcNow < wait)
            {
                wait = started.Expires - DateTimeOffset.UtcNow;
            }

            openBrowser(authUrl, DateTimeOffset.UtcNow + wait);

            UserCertificateResponse? reply = null;
            string? failure = null;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
            try
            {
                await listener.WaitAsync(started.RequestId, async callback =>
                {
                    try
                    {
                        // The cluster decides; the browser's status only adds its short reason to a refusal.
                        reply = await api.GetSsoResultAsync(new SsoResultRequest { RequestId = started.RequestId, Secret = secretHex }, ct).ConfigureAwait(false);
                        return request.Route is null
                            ? LoopbackPage.Success("Logged in", "ferry has its certificate. You can close this tab and go back to the terminal.")
                            : LoopbackPage.Success("MFA passed", $"ferry has its certificate for {request.Route.Service}. You can close this tab and go back to the terminal.");
                    }
                    catch (FerryClientException e)
                    {
                        failure = string.IsNullOrEmpty(callback.Error) || e.Message.Contains(callback.Error, StringComparison.Ordinal)
                            ? e.Message
                            : $"{e.Message} (the provider's redirect said: {callback.Error})";
                        return LoopbackPage.Refusal(request.Route is null ? "Login failed" : "MFA failed", failure + " — see the terminal.");
                    }
                }, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new FerryClientException($"the browser did not come back within {DurationText.Format(wait)}: {retry} and finish signing in at the provider (with --browser=none, open the printed address)");
            }

            return reply ?? throw new FerryClientException($"single sign-on with {connector} failed: {failure ?? "no certificate"}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static UserIdentity ReadIdentity(UserCertificateResponse reply)
    {
        var userCas = new X509Certificate2Collection();
        try
        {
            userCas.ImportFromPem(reply.UserCaPem);
            using var certificate = X509Certificate2.CreateFromPem(reply.CertificatePem);
            var result = new IdentityVerifier(CaKind.User, userCas).VerifyUser(certificate.RawData);
            return result.IsValid
                ? result.Identity!
                : throw new FerryClientException($"the cluster sent a certificate that does not verify ({result.Message}): check the clock of this machine, then log in again");
        }
        catch (CryptographicException e)
        {
            throw new FerryClientException($"the cluster sent a certificate that is not valid PEM ({e.Message})", e);
        }
        finally
        {
            foreach (var ca in userCas)
            {
                ca.Dispose();
            }
        }
    }
}
