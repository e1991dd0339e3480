using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Mfa;
using Ferry.Auth.Model;
using Ferry.Auth.Sso;
using Ferry.Auth.Users;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

/// <summary>
/// Single sign-on (OpenID Connect, authorization code flow with PKCE): <c>POST /v1/sso/{connector}/login</c> starts a
/// pending login and answers the provider URL, <c>GET /v1/sso/callback</c> validates the provider's answer and issues
/// the certificate, <c>POST /v1/sso/result</c> hands it to the client that holds the login's secret, once.
/// </summary>
public sealed partial class AuthService
{

    /// <summary>Logins one source may start per minute.</summary>
    public const int SsoStartsPerMinute = 20;

    /// <summary>Result fetches one source may make per minute.</summary>
    public const int SsoResultsPerMinute = 60;

    private ISsoPendingStore? _ssoPending;
    private SsoRateLimiter? _ssoStarts;
    private SsoRateLimiter? _ssoResults;
    private SsoConnectorRegistry? _ssoRegistry;
    private LoginFailureAudit? _ssoLoginAudit;

    /// <summary>In memory with the SQLite backend (one server); in the backend with PostgreSQL (the steps may reach different servers).</summary>
    internal ISsoPendingStore SsoPending => LazyInitializer.EnsureInitialized(ref _ssoPending, () => Backend is SqliteBackend
        ? new SsoPendingLogins(_time)
        : new BackendSsoPendingLogins(Backend, _time));

    private SsoRateLimiter SsoStarts => LazyInitializer.EnsureInitialized(ref _ssoStarts, () => new SsoRateLimiter(_time, SsoStartsPerMinute, TimeSpan.FromMinutes(1)));

    private SsoRateLimiter SsoResults => LazyInitializer.EnsureInitialized(ref _ssoResults, () => new SsoRateLimiter(_time, SsoResultsPerMinute, TimeSpan.FromMinutes(1)));

    internal SsoConnectorRegistry SsoRegistry => LazyInitializer.EnsureInitialized(ref _ssoRegistry, () => new SsoConnectorRegistry(_time));

    private LoginFailureAudit SsoLoginAudit => LazyInitializer.EnsureInitialized(ref _ssoLoginAudit, () => new LoginFailureAudit(_options.Throttle));

    /// <summary>
    /// Every connector in force: those of ferry.yaml, then the stored ones (a stored connector whose name ferry.yaml
    /// also uses is ignored). A stored connector that no longer parses is skipped and logged.
    /// </summary>
    public async Task<List<SsoConnectorConfig>> ListSsoConnectorsAsync(CancellationToken ct = default)
    {
        var list = new List<SsoConnectorConfig>(_options.SsoConnectors);
        foreach (var record in await Backend.RangeAsync(BackendKeys.SsoConnectors, StorageJsonContext.Default.SsoConnectorRecord, ct).ConfigureAwait(false))
        {
            if (list.Any(c => c.Name == record.Name))
            {
                AuthLog.SsoConnectorShadowed(_log, record.Name);
                continue;
            }

            try
            {
                list.Add(SsoConnectorParser.ParseOne(record.Yaml, "stored:" + record.Name));
            }
            catch (ConfigException e)
            {
                AuthLog.SsoConnectorInvalid(_log, record.Name, e.Message);
            }
        }

        return list;
    }

    /// <summary><c>GET /v1/sso/connectors</c>.</summary>
    public async Task<List<SsoConnectorInfo>> ListSsoConnectorInfoAsync(CancellationToken ct = default) =>
        [.. (await ListSsoConnectorsAsync(ct).ConfigureAwait(false)).Select(c => new SsoConnectorInfo { Name = c.Name, DisplayName = c.ShownName, Kind = c.Kind, Mfa = c.Mfa is null ? null : true })];

    /// <summary>
    /// Checks the ferry.yaml connectors at start: their files (secret mode, CA file) must be usable; roles they map to
    /// that do not exist yet are logged. Throws <see cref="ConfigException"/> naming the connector and the fix.
    /// </summary>
    public async Task ValidateSsoConnectorsAsync(CancellationToken ct = default)
    {
        var roles = (await ListRolesAsync(ct).ConfigureAwait(false)).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var connector in await ListSsoConnectorsAsync(ct).ConfigureAwait(false))
        {
            try
            {
                SsoConnectorRegistry.CheckFiles(connector);
            }
            catch (AuthException e)
            {
                throw new ConfigException(e.Message);
            }

            foreach (var missing in connector.ClaimsToRoles.SelectMany(r => r.Roles).Distinct(StringComparer.Ordinal).Where(r => !roles.Contains(r)))
            {
                AuthLog.SsoConnectorRoleMissing(_log, connector.Name, missing);
            }
        }
    }

    private async Task<SsoConnectorConfig> RequireConnectorAsync(string name, CancellationToken ct)
    {
        var connectors = await ListSsoConnectorsAsync(ct).ConfigureAwait(false);
        return connectors.FirstOrDefault(c => c.Name == name)
            ?? throw AuthException.NotFound(connectors.Count == 0
                ? "single sign-on is not configured on this cluster: log in with a user name and password, or ask an administrator to add a connector"
                : $"no single sign-on connector \"{Bounded(name)}\": use one of {string.Join(", ", connectors.Select(c => c.Name))}");
    }

    /// <summary><c>POST /v1/sso/{connector}/login</c>: checks the request, records the pending login, answers the provider URL.</summary>
    public Task<SsoLoginResponse> StartSsoLoginAsync(string connectorName, SsoLoginRequest request, string clientAddr, CancellationToken ct = default) =>
        StartSsoLoginAsync(connectorName, request, clientAddr, web: false, ct);

    /// <summary>State prefix of a login the web UI started, so even an unknown or replayed state goes back to the web login page.</summary>
    internal const string WebStatePrefix = "web.";

    /// <summary>Where the callback sends the browser of a web login (same origin): the web UI collects the result there.</summary>
    internal const string WebFinishPath = "/web/api/sso/finish";

    /// <summary>
    /// Starts a login; with <paramref name="web"/> for the web UI, whose browser comes back through the same
    /// <c>/v1/sso/callback</c> (one redirect URI per connector) and then to <see cref="WebFinishPath"/>.
    /// </summary>
    internal Task<SsoLoginResponse> StartSsoLoginAsync(string connectorName, SsoLoginRequest request, string clientAddr, bool web, CancellationToken ct) =>
        StartSsoLoginAsync(connectorName, request, clientAddr, web, null, ct);

    /// <summary>
    /// Starts a login; with <paramref name="reauth"/> (a signed-in web user and the web session's binding) the login is a
    /// fresh re-authentication at the provider (<c>prompt=login</c>, <c>max_age=0</c>) that must come back as that user;
    /// collected with <see cref="TakeSsoReauthenticationAsync"/>, it confirms who the user is before a security key is
    /// registered.
    /// </summary>
    internal async Task<SsoLoginResponse> StartSsoLoginAsync(string connectorName, SsoLoginRequest request, string clientAddr, bool web, (string User, string Binding)? reauth, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var source = LoginThrottle.SourceOf(clientAddr);
        if (SsoStarts.Take(source) is { } wait)
        {
            RecordSsoRefusal(connectorName, "", clientAddr, SsoFailure.Reasons.Throttled, "too many SSO logins started");
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many single sign-on logins started from your address: try again in {(int)Math.Ceiling(wait.TotalSeconds)}s"), wait);
        }

        SsoConnectorConfig connector;
        try
        {
            connector = await RequireConnectorAsync(connectorName, ct).ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            RecordSsoRefusal("", "", clientAddr, SsoFailure.Reasons.InvalidRequest, e.Message);
            throw;
        }

        var problem = (request.PublicKeyPem?.Length ?? 0) > MaxPublicKeyPemLength ? $"public_key_pem is longer than {MaxPublicKeyPemLength} characters"
            : (web ? (request.RedirectUrl == WebFinishPath ? null : "web logins finish at " + WebFinishPath) : CheckLoopbackRedirect(request.RedirectUrl))
            ?? (request.SecretSha256 is not { Length: 64 } h || !h.All(char.IsAsciiHexDigit) ? "secret_sha256 must be the 64 hex digits of the SHA-256 of the client's 32-byte secret" : null);
        if (problem is not null)
        {
            RecordSsoRefusal(connector.Name, "", clientAddr, SsoFailure.Reasons.InvalidRequest, problem);
            throw AuthException.BadRequest(problem);
        }

        _ = ParsePublicKey(request.PublicKeyPem);
        _ = ParseRoute(request.Route);
        var provider = SsoRegistry.Provider(connector);
        OidcDiscoveryDocument discovery;
        try
        {
            discovery = await provider.DiscoveryAsync(ct).ConfigureAwait(false);
        }
        catch (SsoFailure e)
        {
            RecordSsoRefusal(connector.Name, "", clientAddr, e.Reason, e.Message);
            throw new AuthException(e.StatusCode, e.Message);
        }

        var now = Now;
        var login = new PendingSsoLogin
        {
            RequestId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            State = (web ? WebStatePrefix : "") + Base64Url.Random(32),
            Web = web,
            Nonce = Base64Url.Random(32),
            CodeVerifier = Base64Url.Random(32),
            Connector = connector.Name,
            ClientRedirect = request.RedirectUrl,
            SecretSha256 = Convert.FromHexString(request.SecretSha256),
            PublicKeyPem = request.PublicKeyPem!,
            TtlSeconds = request.TtlSeconds,
            Route = request.Route,
            RequestMfaGrant = request.RequestMfaGrant == true && request.Route is not null,
            ReauthUser = reauth?.User,
            ReauthBinding = reauth?.Binding,
            Source = source,
            ClientAddr = clientAddr,
            Started = now,
            Expires = now + SsoPendingLogins.LoginLifetime,
        };
        if (!await SsoPending.TryAddAsync(login, ct).ConfigureAwait(false))
        {
            RecordSsoRefusal(connector.Name, "", clientAddr, SsoFailure.Reasons.Throttled, "too many pending SSO logins");
            throw new AuthException(429, $"too many single sign-on logins are waiting for the browser (at most {SsoPending.PerSource} per address): finish or abandon them, or wait 10 minutes", SsoPendingLogins.LoginLifetime);
        }

        var challenge = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(login.CodeVerifier)));
        var query = new StringBuilder(discovery.AuthorizationEndpoint);
        query.Append(discovery.AuthorizationEndpoint!.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        Append(query, "response_type", "code", first: true);
        Append(query, "client_id", connector.ClientId);
        Append(query, "redirect_uri", connector.RedirectUrl);
        Append(query, "scope", string.Join(' ', connector.Scopes));
        Append(query, "state", login.State);
        Append(query, "nonce", login.Nonce);
        Append(query, "code_challenge", challenge);
        Append(query, "code_challenge_method", "S256");
        if ((request.Route is not null && connector.Mfa is not null) || reauth is not null)
        {
            // Session MFA (or a re-authentication) through the provider: a fresh authentication, so auth_time and
            // amr/acr are about now.
            Append(query, "prompt", "login");
            Append(query, "max_age", "0");
        }

        return new SsoLoginResponse { AuthUrl = query.ToString(), RequestId = login.RequestId, Expires = login.Expires };

        static void Append(StringBuilder b, string name, string value, bool first = false) =>
            b.Append(first ? "" : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    /// <summary>What the callback answers the browser: a redirect to the client's loopback listener, or a page.</summary>
    public sealed record SsoCallbackOutcome(string? RedirectUrl, int Status, string Message);

    /// <summary>
    /// <c>GET /v1/sso/callback?code&amp;state</c> (or <c>?error&amp;state</c>): takes the pending login of <c>state</c>
    /// (once), exchanges the code, validates the ID token, maps claims to roles, issues the certificate and records the
    /// outcome for <c>POST /v1/sso/result</c>. Never throws for bad input: the outcome says what the browser sees.
    /// </summary>
    public async Task<SsoCallbackOutcome> CompleteSsoLoginAsync(string? state, string? code, string? error, string? errorDescription, string browserAddr, CancellationToken ct = default)
    {
        var login = string.IsNullOrEmpty(state) || state.Length > 128 ? null : await SsoPending.TakeStateAsync(state, ct).ConfigureAwait(false);
        if (login is null)
        {
            const string unknown = "This login link was already used or has expired (a login must finish within 10 minutes). Run `ferry login --sso` again.";
            var webState = state?.StartsWith(WebStatePrefix, StringComparison.Ordinal) == true;
            RecordSsoRefusal("", "", browserAddr, SsoFailure.Reasons.State, "unknown, used or expired state", webState ? "sso-web" : "sso");
            if (webState)
            {
                return new SsoCallbackOutcome(WebLoginPage("sso_state", "This sign-in link was already used or has expired (sign-in must finish within 10 minutes): sign in again."), 302, unknown);
            }

            return new SsoCallbackOutcome(null, 400, unknown);
        }

        try
        {
            var response = await FinishSsoLoginAsync(login, code, error, errorDescription, ct).ConfigureAwait(false);
            await SsoPending.CompleteAsync(login, response, null, ct).ConfigureAwait(false);
            return new SsoCallbackOutcome(ClientRedirect(login, "ok", null), 302, "Logged in. You can close this window.");
        }
        catch (SsoFailure e)
        {
            RecordSsoRefusal(login.Connector, e.Data["user"] as string ?? "", login.ClientAddr, e.Reason, e.Message, SsoMethod(login));
            await SsoPending.CompleteAsync(login, null, new AuthException(e.StatusCode, e.Message), ct).ConfigureAwait(false);
            return new SsoCallbackOutcome(ClientRedirect(login, "error", e.Message), 302, e.Message);
        }
        catch (AuthException e)
        {
            RecordSsoRefusal(login.Connector, "", login.ClientAddr, SsoFailure.Reasons.Issue, e.Message, SsoMethod(login));
            await SsoPending.CompleteAsync(login, null, e, ct).ConfigureAwait(false);
            return new SsoCallbackOutcome(ClientRedirect(login, "error", e.Message), 302, e.Message);
        }
    }

    private async Task<UserCertificateResponse> FinishSsoLoginAsync(PendingSsoLogin login, string? code, string? error, string? errorDescription, CancellationToken ct)
    {
        if (error is not null)
        {
            var description = string.IsNullOrEmpty(errorDescription) ? "" : ": " + Bounded(errorDescription);
            throw new SsoFailure(error == "access_denied" ? SsoFailure.Reasons.Denied : SsoFailure.Reasons.ProviderError,
                $"the identity provider refused the login ({Bounded(error)}{description})", 403);
        }

        if (string.IsNullOrEmpty(code) || code.Length > 4096)
        {
            throw new SsoFailure(SsoFailure.Reasons.ProviderError, "the identity provider's answer has no authorization code: log in again", 400);
        }

        var connector = await RequireConnectorAsync(login.Connector, ct).ConfigureAwait(false);
        var provider = SsoRegistry.Provider(connector);
        var idToken = await provider.ExchangeCodeAsync(code, login.CodeVerifier, ct).ConfigureAwait(false);
        var claims = await IdTokenValidator.ValidateAsync(idToken, new IdTokenExpectations(connector.IssuerUrl, connector.ClientId, login.Nonce), provider, Now, ct).ConfigureAwait(false);
        var mapped = SsoClaims.Map(connector, claims, Now, login.Started);
        if (login.ReauthUser is { } reauthUser)
        {
            RequireFreshReauthentication(login, reauthUser, mapped.User, claims);
        }

        var known = (await ResolveRolesAsync(mapped.Roles, ct).ConfigureAwait(false));
        var roleNames = known.Select(r => r.Name).ToList();
        if (roleNames.Count == 0)
        {
            var failure = new SsoFailure(SsoFailure.Reasons.NoRole, mapped.Roles.Count == 0
                ? $"you are signed in at the provider as \"{mapped.User}\", but none of your claims maps to a Ferry role (connector \"{connector.Name}\" claims_to_roles): ask an administrator to map one of your groups or claims to a role"
                : $"your claims map to role(s) {string.Join(", ", mapped.Roles)}, which do not exist on this cluster: ask an administrator to create them", 403);
            failure.Data["user"] = mapped.User;
            throw failure;
        }

        try
        {
            await RequireNotLockedAsync(mapped.User, roleNames, login.ClientAddr, ct).ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            var locked = new SsoFailure(SsoFailure.Reasons.Locked, e.Message, e.StatusCode);
            locked.Data["user"] = mapped.User;
            throw locked;
        }

        var rbac = new RbacEvaluator(known, mapped.Traits);
        var route = ParseRoute(login.Route);
        var mfa = route is not null && mapped.MfaClaimed;
        if (route is not null && rbac.RequireSessionMfa && !mfa)
        {
            var failure = new SsoFailure(SsoFailure.Reasons.NoRole, connector.Mfa is null
                ? $"your roles require MFA for database sessions and connector \"{connector.Name}\" does not trust the provider's MFA claims: enrol a TOTP device (`ferry mfa add`) or ask an administrator to set the connector's mfa section"
                : $"your roles require MFA for database sessions, and the provider's ID token did not show a fresh MFA ({string.Join(", ", connector.Mfa.Amr.Concat(connector.Mfa.Acr))}): complete the provider's MFA prompt", 403);
            failure.Data["user"] = mapped.User;
            throw failure;
        }

        // A certificate issued on the provider's MFA claims follows the session-MFA rule: it opens connections for at
        // most a minute, and the sessions it opened run to the login's limit (SessionNotAfter), as for a TOTP check.
        var sessionCap = _options.DefaultSessionTtl is { } sd && sd < rbac.MaxSessionTtl ? sd : rbac.MaxSessionTtl;
        var (mfaTtl, sessionNotAfter) = SessionMfaLimits(Now, sessionCap);
        var cap = mfa && mfaTtl < rbac.MaxSessionTtl ? mfaTtl : rbac.MaxSessionTtl;
        var requested = login.TtlSeconds is { } s and > 0
            ? TimeSpan.FromSeconds(Math.Min(s, MaxRequestedTtlSeconds))
            : _options.DefaultSessionTtl is { } d && d < cap ? d : cap;
        var identity = new UserIdentity
        {
            User = mapped.User,
            ClusterName = ClusterName,
            Roles = roleNames,
            Traits = mapped.Traits,
            Route = route,
            MfaVerified = mfa,
            Connector = connector.Name,
            SessionNotAfter = mfa ? sessionNotAfter : null,
        };
        var key = ParsePublicKey(login.PublicKeyPem);
        var response = IssueUser(key, identity, requested, cap);
        if (mfa)
        {
            response.MfaVerified = true;
            response.SessionExpires = identity.SessionNotAfter;
            if (login.RequestMfaGrant)
            {
                // ferry proxy db: the next 1-minute certificates come from POST /v1/certs/user with this grant (same
                // user, route and key), without a new trip to the provider, until the role's session_mfa_window ends.
                var target = await RouteTargetAsync(route!, ct).ConfigureAwait(false) ?? new DatabaseTarget(route!.ServiceName, new Dictionary<string, string>());
                var window = rbac.SessionMfaWindow(target, route!.DbUser, route.DbName);
                var now = Now;
                var ends = now + window < sessionNotAfter ? now + window : sessionNotAfter;
                (response.MfaGrant, var grantEnds) = await StoreMfaGrantAsync(mapped.User, route, Convert.ToHexStringLower(SHA256.HashData(key.SubjectPublicKeyInfo.Span)), now, ends, ct).ConfigureAwait(false);
                response.MfaGrantExpires = grantEnds;
            }
        }
        FerryMetrics.SsoLogin(connector.Name, "ok");
        AuthLog.SsoLoginSucceeded(_log, mapped.User, connector.Name, string.Join(",", roleNames), Bounded(login.ClientAddr));
        var details = new Dictionary<string, string>
        {
            ["method"] = login.ReauthUser is not null ? "sso-reauth" : login.Web ? "sso-web" : "sso",
            ["connector"] = connector.Name,
            ["mfa"] = mfa ? "provider" : "none",
            ["claims"] = Bounded(string.Join(",", mapped.MatchedRules)),
            ["route"] = route?.ServiceName ?? "",
            ["expires"] = response.Expires.ToString("O", CultureInfo.InvariantCulture),
        };
        if (response.MfaGrantExpires is { } grantExpires)
        {
            details["grant_expires"] = grantExpires.ToString("O", CultureInfo.InvariantCulture);
        }

        Emit(AuditEventKinds.UserLoginSuccess, mapped.User, true, null, login.ClientAddr, details, roleNames);
        return response;
    }

    /// <summary>
    /// <c>POST /v1/sso/result</c>: the certificate (or the refusal) of a finished login, to the holder of its secret,
    /// once. 404 unknown or expired, 409 not finished yet, 403 wrong secret (audited), 429 throttled.
    /// </summary>
    public async Task<UserCertificateResponse> TakeSsoResultAsync(SsoResultRequest request, string clientAddr, CancellationToken ct = default)
    {
        var (result, login) = await TakeSsoLoginAsync(request, clientAddr, ct).ConfigureAwait(false);
        if (login.ReauthUser is not null)
        {
            // A re-authentication is collected only as one (its proof is bound to the web session that started it).
            throw AuthException.NotFound("no single sign-on login with this request_id is waiting (it expired or was already collected): run `ferry login --sso` again");
        }

        return result;
    }

    private async Task<(UserCertificateResponse Result, PendingSsoLogin Login)> TakeSsoLoginAsync(SsoResultRequest request, string clientAddr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SsoResults.Take(LoginThrottle.SourceOf(clientAddr)) is { } wait)
        {
            RecordSsoRefusal("", "", clientAddr, SsoFailure.Reasons.Throttled, "too many SSO result requests");
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many single sign-on result requests from your address: try again in {(int)Math.Ceiling(wait.TotalSeconds)}s"), wait);
        }

        if (request.RequestId is not { Length: > 0 and <= 64 } id || request.Secret is not { Length: 64 } secretHex || !secretHex.All(char.IsAsciiHexDigit))
        {
            throw AuthException.BadRequest("request_id and secret (64 hex digits) are required");
        }

        var (outcome, login) = await SsoPending.TryTakeResultAsync(id, Convert.FromHexString(secretHex), ct).ConfigureAwait(false);
        switch (outcome)
        {
            case SsoPendingLogins.Outcome.Unknown:
                throw AuthException.NotFound("no single sign-on login with this request_id is waiting (it expired or was already collected): run `ferry login --sso` again");
            case SsoPendingLogins.Outcome.WrongSecret:
                RecordSsoRefusal(login!.Connector, "", clientAddr, SsoFailure.Reasons.WrongSecret, "wrong secret for a pending SSO login", SsoMethod(login));
                throw AuthException.Forbidden("the secret does not match this login's secret_sha256: only the client that started the login can collect it");
            case SsoPendingLogins.Outcome.NotFinished:
                throw AuthException.Conflict("the browser has not finished this login yet: complete the login in the browser, then ask again");
            default:
                return login!.Result is { } result ? (result, login) : throw login.Error!;
        }
    }

    /// <summary>How recent the provider's <c>auth_time</c> must be, against the start of a re-authentication (clock skew).</summary>
    private static readonly TimeSpan ReauthSkew = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A re-authentication must come back as the signed-in user, and the provider must have authenticated them again
    /// (its <c>auth_time</c> no older than the start of this login): a provider session remembered from the morning is
    /// not a fresh proof.
    /// </summary>
    private void RequireFreshReauthentication(PendingSsoLogin login, string expectedUser, string user, System.Text.Json.JsonElement claims)
    {
        if (!string.Equals(user, expectedUser, StringComparison.Ordinal))
        {
            var failure = new SsoFailure(SsoFailure.Reasons.WrongUser,
                $"you confirmed at the provider as \"{Bounded(user)}\", but you are signed in to Ferry as \"{Bounded(expectedUser)}\": confirm with your own account", 403);
            failure.Data["user"] = expectedUser;
            throw failure;
        }

        var authTime = IdTokenValidator.TimeClaim(claims, "auth_time");
        if (authTime is null || authTime < login.Started - ReauthSkew || authTime > Now + ReauthSkew)
        {
            var failure = new SsoFailure(SsoFailure.Reasons.NotFresh, authTime is null
                ? "the identity provider did not say when you signed in (no auth_time claim), so it cannot confirm a fresh sign-in: ask an administrator to enable auth_time at the provider"
                : "the identity provider did not ask you to sign in again (its auth_time is older than this confirmation): try again, and sign in at the provider", 403);
            failure.Data["user"] = expectedUser;
            throw failure;
        }
    }

    /// <summary>
    /// The outcome of a finished re-authentication (<see cref="StartSsoLoginAsync(string, SsoLoginRequest, string, bool, ValueTuple{string, string}?, CancellationToken)"/>
    /// with a user), once, to the holder of its secret: a single-use proof for <c>register/begin</c> bound to the user
    /// and web session that started it, usable for <see cref="WebAuthnChallenges.Lifetime"/>. Audited as
    /// <c>mfa.device.add</c> steps are: a refusal here is a 403 with the reason.
    /// </summary>
    internal async Task<string> TakeSsoReauthenticationAsync(string requestId, string secretHex, string user, string binding, string clientAddr, CancellationToken ct)
    {
        var (_, login) = await TakeSsoLoginAsync(new SsoResultRequest { RequestId = requestId, Secret = secretHex }, clientAddr, ct).ConfigureAwait(false);
        if (login.ReauthUser != user || login.ReauthBinding != binding)
        {
            RecordSsoRefusal(login.Connector, user, clientAddr, SsoFailure.Reasons.InvalidRequest, "a single sign-on result collected as a re-authentication of another sign-in", "sso-web");
            throw AuthException.Forbidden("this confirmation was started for another sign-in: start it again from your account page");
        }

        var ticket = WebAuthnChallenges.Add(WebAuthnChallenges.Purposes.SsoReauth, user, binding, LoginThrottle.SourceOf(clientAddr), "", "")
            ?? throw new AuthException(429, "too many security-key steps are open for your account: finish or abandon them, then try again", WebAuthnChallenges.Lifetime);
        AuthLog.Reauthenticated(_log, user, "sso:" + login.Connector, Bounded(clientAddr));
        return ticket.Id;
    }

    /// <summary>The web UI's login page showing a refusal: <c>/web/#/login?error=CODE&amp;message=TEXT</c> (a fragment: never sent to a server).</summary>
    internal static string WebLoginPage(string code, string message) =>
        "/web/#/login?error=" + Uri.EscapeDataString(code) + "&message=" + Uri.EscapeDataString(message.Length <= 300 ? message : message[..300] + "…");

    private static string SsoMethod(PendingSsoLogin login) => login.Web ? "sso-web" : "sso";

    private static string ClientRedirect(PendingSsoLogin login, string status, string? error)
    {
        if (login.Web)
        {
            // The outcome is collected by the web UI with the browser's binding cookie; the error text is not carried.
            return WebFinishPath + "?request_id=" + login.RequestId;
        }

        var b = new StringBuilder(login.ClientRedirect);
        b.Append(login.ClientRedirect.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        b.Append("request_id=").Append(login.RequestId).Append("&status=").Append(status);
        if (error is not null)
        {
            b.Append("&error=").Append(Uri.EscapeDataString(error.Length <= 300 ? error : error[..300] + "…"));
        }

        return b.ToString();
    }

    /// <summary>The client's loopback listener: http, 127.0.0.1 / [::1] / localhost, an explicit port; null when valid.</summary>
    internal static string? CheckLoopbackRedirect(string? url)
    {
        const string expected = "redirect_url must be the client's loopback listener: http://127.0.0.1:PORT/…, http://[::1]:PORT/… or http://localhost:PORT/…";
        if (string.IsNullOrEmpty(url) || url.Length > 512 || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return expected;
        }

        var hostOk = uri.Host is "127.0.0.1" or "[::1]" or "localhost";
        var portOk = uri.Port is > 0 and <= 65535 && url.Contains(":" + uri.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return uri.Scheme == Uri.UriSchemeHttp && hostOk && portOk && uri.UserInfo.Length == 0 && uri.Fragment.Length == 0 && uri.Query.Length == 0
            ? null
            : expected + $", got \"{Bounded(url)}\"";
    }

    private static DatabaseRoute? ParseRoute(RouteRequest? r)
    {
        if (r is null)
        {
            return null;
        }

        if (!WireNames.TryParseProtocol(r.Protocol, out var protocol))
        {
            throw AuthException.BadRequest($"route protocol \"{Bounded(r.Protocol ?? "")}\" is unknown: use postgres or mysql");
        }

        Names.Require(r.Service, "route service");
        if ((r.DbUser?.Length ?? 0) > MaxNameLength || (r.DbName?.Length ?? 0) > MaxNameLength)
        {
            throw AuthException.BadRequest($"route db_user and db_name must be at most {MaxNameLength} characters");
        }

        return new DatabaseRoute(r.Service, protocol, r.DbUser ?? "", r.DbName ?? "");
    }

    /// <summary>Counts, logs and audits (aggregated, like local login failures) a refused or failed SSO login.</summary>
    internal void RecordSsoRefusal(string connector, string user, string clientAddr, string reason, string error, string method = "sso")
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, "sso_" + reason);
        FerryMetrics.SsoLogin(connector.Length == 0 ? "none" : connector, reason);
        var boundedUser = Bounded(user);
        var boundedAddr = Bounded(clientAddr);
        var text = Bounded(connector.Length == 0 ? error : $"connector {connector}: {error}");
        if (SsoLoginAudit.Record(boundedUser, boundedAddr, text))
        {
            AuthLog.SsoLoginFailed(_log, connector, reason, boundedAddr, text);
            Emit(AuditEventKinds.UserLoginFailure, boundedUser, false, text, boundedAddr, new() { ["method"] = method, ["connector"] = connector, ["reason"] = reason });
        }
    }

    /// <summary>Writes the SSO failure summaries of the closing window.</summary>
    internal void FlushSsoLoginAudit()
    {
        if (_ssoLoginAudit is null)
        {
            return;
        }

        var (summaries, overflow) = _ssoLoginAudit.Flush();
        var window = ((long)_options.Throttle.AuditWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        foreach (var s in summaries)
        {
            Emit(AuditEventKinds.UserLoginFailure, s.User, false, s.Reason, s.Source, new()
            {
                ["method"] = "sso",
                ["summary"] = "true",
                ["count"] = s.Count.ToString(CultureInfo.InvariantCulture),
                ["window"] = window,
            });
            AuthLog.LoginFailuresSummarised(_log, s.User, s.Source, s.Reason, s.Count, window);
        }

        if (overflow > 0)
        {
            Emit(AuditEventKinds.UserLoginFailure, "", false, "too many distinct failed SSO logins to list", "", new()
            {
                ["method"] = "sso",
                ["summary"] = "true",
                ["count"] = overflow.ToString(CultureInfo.InvariantCulture),
                ["window"] = window,
            });
            AuthLog.LoginFailuresOverflow(_log, overflow, window);
        }
    }

    /// <summary><c>ferryd admin sso add -f</c>: stores a connector (checked like an <c>auth.sso</c> entry); 409 when the name exists.</summary>
    public async Task<SsoConnectorConfig> AddSsoConnectorAsync(string yaml, string fileName, bool replace, string actor, CancellationToken ct = default)
    {
        SsoConnectorConfig connector;
        try
        {
            connector = SsoConnectorParser.ParseOne(yaml, fileName);
        }
        catch (ConfigException e)
        {
            throw AuthException.BadRequest(e.Message);
        }

        SsoConnectorRegistry.CheckFiles(connector);
        var record = new SsoConnectorRecord { Name = connector.Name, Yaml = yaml, CreatedAt = Now };
        var key = BackendKeys.SsoConnector(connector.Name);
        var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.SsoConnectorRecord, ct).ConfigureAwait(false);
        if (current is not null && !replace)
        {
            throw AuthException.Conflict($"SSO connector \"{connector.Name}\" already exists: remove it first (`sso rm {connector.Name}`) or pass --replace");
        }

        if (await Backend.CompareAndSwapAsync(key, current?.Revision ?? 0, record, StorageJsonContext.Default.SsoConnectorRecord, cancellationToken: ct).ConfigureAwait(false) is null)
        {
            throw AuthException.Conflict($"SSO connector \"{connector.Name}\" changed meanwhile: try again");
        }

        Emit(AuditEventKinds.SsoConnectorCreate, actor, details: new() { ["connector"] = connector.Name, ["issuer"] = connector.IssuerUrl, ["action"] = current is null ? "add" : "replace" });
        return connector;
    }

    /// <summary>The stored connectors (not those of ferry.yaml, which this command does not read).</summary>
    public async Task<List<SsoConnectorRecord>> ListStoredSsoConnectorsAsync(CancellationToken ct = default) =>
        await Backend.RangeAsync(BackendKeys.SsoConnectors, StorageJsonContext.Default.SsoConnectorRecord, ct).ConfigureAwait(false);

    public async Task<SsoConnectorRecord?> GetStoredSsoConnectorAsync(string name, CancellationToken ct = default) =>
        await Backend.GetAsync(BackendKeys.SsoConnector(name), StorageJsonContext.Default.SsoConnectorRecord, ct).ConfigureAwait(false);

    public async Task RemoveSsoConnectorAsync(string name, string actor, CancellationToken ct = default)
    {
        if (!await Backend.DeleteAsync(BackendKeys.SsoConnector(name), ct).ConfigureAwait(false))
        {
            throw AuthException.NotFound($"SSO connector \"{Bounded(name)}\" is not stored: see `sso ls` (connectors of ferry.yaml are removed by editing the file)");
        }

        Emit(AuditEventKinds.SsoConnectorDelete, actor, details: new() { ["connector"] = name });
    }
}
