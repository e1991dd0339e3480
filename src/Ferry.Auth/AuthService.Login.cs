using System.Globalization;
using System.Security.Cryptography;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Auth.Users;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>The only message a failed login gets: it never says which factor was wrong.</summary>
    public const string LoginFailedMessage = "login failed: invalid user name, password or one-time code";

    private const long MaxRequestedTtlSeconds = 366L * 24 * 3600;

    private static readonly byte[] DummyTotpSecret = RandomNumberGenerator.GetBytes(Totp.SecretBytes);

    /// <summary>Longest password checked (Argon2id hashes whatever it is given).</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>Longest one-time code accepted.</summary>
    public const int MaxOtpLength = 16;

    /// <summary>Longest public key or CSR PEM accepted.</summary>
    public const int MaxPublicKeyPemLength = 16 * 1024;

    /// <summary>
    /// Password + TOTP login. Field sizes are checked first (400). Both factors are always checked (a missing user
    /// costs the same Argon2id work), a TOTP code is accepted once, failures are throttled per (user, source), per
    /// source and gently per user (<see cref="LoginThrottleOptions"/>), and the certificate's lifetime is capped by
    /// the roles' <c>max_session_ttl</c>. Failed and refused attempts are counted and audited in summaries.
    /// </summary>
    /// <exception cref="AuthException">401 bad credentials, 429 throttled (with RetryAfter), 403 locked, 400 bad fields or key.</exception>
    public Task<UserCertificateResponse> LoginAsync(LoginRequest request, string clientAddr, CancellationToken ct = default) =>
        LoginAsync(request, clientAddr, "local", ct);

    /// <summary>As <see cref="LoginAsync(LoginRequest, string, CancellationToken)"/>, audited with <paramref name="method"/> (<c>local</c>, <c>web</c>).</summary>
    public async Task<UserCertificateResponse> LoginAsync(LoginRequest request, string clientAddr, string method, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var user = request.User ?? "";
        var problem = user.Length == 0 ? "user is missing"
            : !IsValidName(user) ? $"user name is not valid: 1-{MaxNameLength} letters, digits, _ - . @"
            : (request.Password?.Length ?? 0) > MaxPasswordLength ? $"password is longer than {MaxPasswordLength} characters"
            : (request.Otp?.Length ?? 0) > MaxOtpLength ? $"otp is longer than {MaxOtpLength} characters"
            : (request.PublicKeyPem?.Length ?? 0) > MaxPublicKeyPemLength ? $"public_key_pem is longer than {MaxPublicKeyPemLength} characters"
            : null;
        if (problem is not null)
        {
            RecordLoginRefusal(user, clientAddr, LoginRefusal.InvalidRequest, problem);
            throw AuthException.BadRequest(problem);
        }

        var source = LoginThrottle.SourceOf(clientAddr);
        if (await _throttle.RetryAfterAsync(user, source, ct).ConfigureAwait(false) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            RecordLoginRefusal(user, clientAddr, LoginRefusal.Throttled, "throttled");
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many failed logins: try again in {seconds}s"), wait);
        }

        var key = ParsePublicKey(request.PublicKeyPem);
        var found = await Backend.GetWithRevisionAsync(BackendKeys.User(user), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        var record = found?.Value;
        var passwordOk = PasswordHasher.Verify(request.Password ?? "", record?.PasswordHash ?? PasswordHasher.DummyHash);
        var step = Totp.Verify(record is null ? DummyTotpSecret : Base32.Decode(record.TotpSecret), request.Otp ?? "", Now);
        var ok = record is not null & passwordOk & step is not null;
        if (ok && !await ConsumeTotpStepAtAsync(BackendKeys.TotpUse(user), step!.Value, ct).ConfigureAwait(false))
        {
            ok = false;
        }

        if (!ok)
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            RecordLoginRefusal(user, clientAddr, LoginRefusal.InvalidCredentials, "invalid credentials");
            throw new AuthException(401, LoginFailedMessage);
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
        var roles = await ResolveRolesAsync(record!.Roles, ct).ConfigureAwait(false);
        var traits = Traits(record);
        await RequireNotLockedAsync(user, record.Roles, clientAddr, ct).ConfigureAwait(false);
        var rbac = new RbacEvaluator(roles, traits);
        var requested = request.TtlSeconds is { } s and > 0
            ? TimeSpan.FromSeconds(Math.Min(s, MaxRequestedTtlSeconds))
            : _options.DefaultSessionTtl is { } d && d < rbac.MaxSessionTtl ? d : rbac.MaxSessionTtl;
        var identity = new UserIdentity
        {
            User = user,
            ClusterName = ClusterName,
            Roles = record.Roles,
            Traits = traits,
            MfaVerified = false, // the login's TOTP is the login method; session MFA is a fresh check per route (AuthService.Mfa)
        };
        var response = IssueUser(key, identity, requested, rbac.MaxSessionTtl);
        Emit(AuditEventKinds.UserLoginSuccess, user, true, null, clientAddr,
            new() { ["method"] = method, ["mfa"] = "totp", ["expires"] = response.Expires.ToString("O", CultureInfo.InvariantCulture) }, record.Roles);
        return response;
    }

    /// <summary>
    /// <c>POST /v1/certs/user</c>: re-issues a certificate for the user of a verified certificate, with roles and traits
    /// re-read, an optional route, and a lifetime no longer than the presented certificate's remaining one. Never
    /// MFA-verified, except for a route whose roles require session MFA: then only after a session MFA check
    /// (<see cref="IssueSessionMfaCertificateAsync"/>).
    /// </summary>
    public Task<UserCertificateResponse> ReissueUserCertificateAsync(UserIdentity presented, UserCertificateRequest request, string clientAddr, CancellationToken ct = default) =>
        ReissueUserCertificateAsync(presented, request, clientAddr, securityKey: null, ct);

    /// <summary>As above; <paramref name="securityKey"/> names a security key whose assertion passed session MFA in this request.</summary>
    internal async Task<UserCertificateResponse> ReissueUserCertificateAsync(UserIdentity presented, UserCertificateRequest request, string clientAddr, string? securityKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(request);
        var key = ParsePublicKey(request.PublicKeyPem);
        var (userName, baseRoles, traits) = await CurrentRolesAndTraitsAsync(presented, ct).ConfigureAwait(false);
        DatabaseRoute? route = null;
        if (request.Route is { } r)
        {
            if (!WireNames.TryParseProtocol(r.Protocol, out var protocol))
            {
                throw AuthException.BadRequest($"route protocol \"{r.Protocol}\" is unknown: use postgres or mysql");
            }

            Names.Require(r.Service, "route service");
            route = new DatabaseRoute(r.Service, protocol, r.DbUser ?? "", r.DbName ?? "");
        }

        var elevation = await ElevateAsync(userName, baseRoles, presented.AccessRequestIds, request.AccessRequestIds, route?.ServiceName, ct).ConfigureAwait(false);
        var roleNames = elevation.Roles;
        await RequireNotLockedAsync(userName, roleNames, clientAddr, ct).ConfigureAwait(false);
        var roles = await ResolveRolesAsync(roleNames, ct).ConfigureAwait(false);
        var rbac = new RbacEvaluator(roles, traits, elevation.ResourceIds, elevation.LimitedRoles);
        var now = Now;
        var notAfter = elevation.Ends is { } grantEnd && grantEnd < presented.NotAfter ? grantEnd : presented.NotAfter;
        var remaining = notAfter - now;
        if (remaining <= TimeSpan.Zero && notAfter < presented.NotAfter)
        {
            throw AuthException.Forbidden("the access request of this certificate has ended: run `ferry login` again");
        }

        if (remaining <= TimeSpan.Zero)
        {
            throw new AuthException(401, "certificate expired: run `ferry login`");
        }

        var cap = remaining < rbac.MaxSessionTtl ? remaining : rbac.MaxSessionTtl;
        var requested = request.TtlSeconds is { } s and > 0 ? TimeSpan.FromSeconds(Math.Min(s, MaxRequestedTtlSeconds)) : cap;

        if (route is not null && await RouteRequiresMfaAsync(rbac, route, ct).ConfigureAwait(false))
        {
            // SSO users have no local record: their session MFA is an enrolled device (or the provider's MFA claims).
            var record = presented.Connector.Length == 0
                ? await Backend.GetAsync(BackendKeys.User(userName), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false)
                : null;
            // An elevated certificate: the session-MFA certificate names the requests and ends with the earliest grant.
            var basis = elevation.Ids.Count == 0 ? presented : new UserIdentity
            {
                User = presented.User,
                ClusterName = presented.ClusterName,
                Roles = presented.Roles,
                Traits = presented.Traits,
                Route = presented.Route,
                AccessRequestIds = elevation.Ids,
                ResourceIds = elevation.ResourceIds,
                MfaVerified = presented.MfaVerified,
                Connector = presented.Connector,
                NotBefore = presented.NotBefore,
                NotAfter = notAfter,
                SerialNumber = presented.SerialNumber,
            };
            return await IssueSessionMfaCertificateAsync(basis, record, request, rbac, roleNames, traits, route, key, clientAddr, ct, securityKey).ConfigureAwait(false);
        }

        var identity = new UserIdentity
        {
            User = userName,
            ClusterName = ClusterName,
            Roles = roleNames,
            Traits = traits,
            Route = route,
            AccessRequestIds = elevation.Ids,
            ResourceIds = elevation.ResourceIds,
            MfaVerified = false,
            Connector = presented.Connector,
        };
        var response = IssueUser(key, identity, requested, cap);
        Emit(AuditEventKinds.CertIssue, userName, true, null, clientAddr,
            new()
            {
                ["kind"] = "user", ["route"] = route?.ServiceName ?? "", ["connector"] = presented.Connector, ["expires"] = response.Expires.ToString("O", CultureInfo.InvariantCulture),
                ["access_request_ids"] = string.Join(",", elevation.Ids), ["resource_ids"] = string.Join(",", elevation.ResourceIds),
            }, roleNames);
        return response;
    }

    /// <summary>
    /// The roles and traits a presented certificate's user has now: a local user's are re-read from the user record;
    /// an SSO user (no local record) keeps those of the certificate, frozen for its lifetime, as long as the connector
    /// still exists. Locks are checked by the callers either way.
    /// </summary>
    private async Task<(string User, IReadOnlyList<string> Roles, IReadOnlyDictionary<string, IReadOnlyList<string>> Traits)> CurrentRolesAndTraitsAsync(UserIdentity presented, CancellationToken ct)
    {
        if (presented.Connector.Length > 0)
        {
            if (!(await ListSsoConnectorsAsync(ct).ConfigureAwait(false)).Any(c => c.Name == presented.Connector))
            {
                throw AuthException.Forbidden($"SSO connector \"{presented.Connector}\" of this certificate no longer exists: log in again (`ferry login --sso`)");
            }

            // An elevated certificate carries its requests' roles too: they are not the user's own.
            var added = presented.AccessRequestIds.Count == 0 ? [] : await RolesAddedByRequestsAsync(presented.AccessRequestIds, ct).ConfigureAwait(false);
            return (presented.User, [.. presented.Roles.Where(r => !added.Contains(r))], presented.Traits);
        }

        var record = await Backend.GetAsync(BackendKeys.User(presented.User), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false)
            ?? throw AuthException.Forbidden($"user \"{presented.User}\" no longer exists");
        return (record.Name, record.Roles, Traits(record));
    }

    private UserCertificateResponse IssueUser(ClientPublicKey key, UserIdentity identity, TimeSpan requested, TimeSpan cap)
    {
        var certificate = Translate(() => Issuer.IssueUserCertificate(key, identity, requested, cap));
        return new UserCertificateResponse
        {
            CertificatePem = certificate.ToPem() + "\n",
            UserCaPem = Authority.ExportTrustedRootsPem(CaKind.User),
            HostCaPem = Authority.ExportTrustedRootsPem(CaKind.Host),
            Expires = certificate.NotAfter,
        };
    }

    /// <summary>Refuses (403) when a lock covers the user or one of the roles of a verified certificate.</summary>
    public Task RequireUserNotLockedAsync(UserIdentity identity, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return RequireNotLockedAsync(identity.User, identity.Roles, "", ct);
    }

    private async Task RequireNotLockedAsync(string user, IReadOnlyList<string> roles, string clientAddr, CancellationToken ct)
    {
        var locks = await ListLocksAsync(ct).ConfigureAwait(false);
        var now = Now;
        foreach (var l in locks)
        {
            if (l.Kind != LockTargetKind.Database && l.Covers(user, roles, null, now))
            {
                Emit(AuditEventKinds.UserLoginFailure, user, false, l.Describe(), clientAddr, new() { ["lock"] = l.Id });
                throw AuthException.Forbidden(l.Describe() + ": ask an administrator to remove the lock");
            }
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> Traits(UserRecord record) =>
        record.Traits.Where(p => !p.Key.StartsWith(TraitTemplate.ExternalPrefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.ToArray(), StringComparer.Ordinal);

    internal static ClientPublicKey ParsePublicKey(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw AuthException.BadRequest("public_key_pem is missing: send the PEM public key made on the client");
        }

        return Translate(() => pem.Contains("CERTIFICATE REQUEST", StringComparison.Ordinal)
            ? ClientPublicKey.FromCertificateSigningRequestPem(pem)
            : ClientPublicKey.FromPem(pem));
    }

    private static T Translate<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (InvalidCertificateRequestException e)
        {
            throw AuthException.BadRequest(e.Message);
        }
    }

    /// <summary>Longest user name.</summary>
    public const int MaxNameLength = 128;

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@');
}
