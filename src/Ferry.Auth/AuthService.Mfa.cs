using System.Globalization;
using System.Security.Cryptography;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Auth.Users;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

/// <summary>
/// Session MFA: a certificate for a route whose granting roles set <c>require_session_mfa</c> is issued only after a
/// fresh TOTP check in the same request (or with a grant from such a check, within the role's
/// <c>session_mfa_window</c>), is the only kind marked MFA-verified, and opens connections for at most
/// <see cref="AuthServiceOptions.SessionMfaCertificateTtl"/> (1 minute); sessions it opened may run to its session
/// limit (the presented login's end, capped by <c>max_session_ttl</c>).
/// </summary>
public sealed partial class AuthService
{
    /// <summary>The longest a session-MFA certificate can open connections.</summary>
    public static readonly TimeSpan MaxSessionMfaCertificateTtl = TimeSpan.FromMinutes(1);

    /// <summary>Longest MFA grant token accepted.</summary>
    public const int MaxMfaGrantLength = 128;

    /// <summary>Why a session-MFA certificate was refused: the <c>ferry_refusals_total{side="auth"}</c> reason.</summary>
    public static class SessionMfaRefusal
    {
        public const string Required = "session_mfa_required";
        public const string Failed = "session_mfa_failed";
        public const string Throttled = "session_mfa_throttled";
        public const string GrantRefused = "session_mfa_grant_refused";
    }

    /// <summary>Whether the roles that grant <paramref name="route"/> require session MFA (all roles when the database is not registered).</summary>
    private async Task<bool> RouteRequiresMfaAsync(RbacEvaluator rbac, DatabaseRoute route, CancellationToken ct)
    {
        var target = await RouteTargetAsync(route, ct).ConfigureAwait(false);
        return target is null ? rbac.RequireSessionMfa : rbac.RequiresSessionMfa(target, route.DbUser, route.DbName);
    }

    /// <summary>The database of a route with the labels its agent last registered (its binding), or null when no agent registered it.</summary>
    private async Task<DatabaseTarget?> RouteTargetAsync(DatabaseRoute route, CancellationToken ct)
    {
        var binding = await Backend.GetAsync(BackendKeys.DatabaseBinding(route.ServiceName), StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false);
        return binding is null ? null : new DatabaseTarget(binding.Name, binding.Labels);
    }

    /// <summary>
    /// Issues a session-MFA certificate for <paramref name="route"/> after a TOTP check (<see cref="UserCertificateRequest.Otp"/>)
    /// or with a grant (<see cref="UserCertificateRequest.MfaGrant"/>); without either answers
    /// <see cref="SessionMfa.RequiredStatus"/>. Every check and grant use is audited, every refusal counted and logged.
    /// </summary>
    private async Task<UserCertificateResponse> IssueSessionMfaCertificateAsync(
        UserIdentity presented, UserRecord? record, UserCertificateRequest request, RbacEvaluator rbac, IReadOnlyList<string> roles,
        IReadOnlyDictionary<string, IReadOnlyList<string>> traits, DatabaseRoute route, ClientPublicKey key, string clientAddr, CancellationToken ct, string? securityKey = null)
    {
        var user = presented.User;
        var service = route.ServiceName;
        var otp = request.Otp ?? "";
        var grant = request.MfaGrant ?? "";
        if (otp.Length > MaxOtpLength || grant.Length > MaxMfaGrantLength)
        {
            throw AuthException.BadRequest(otp.Length > MaxOtpLength ? $"otp is longer than {MaxOtpLength} characters" : $"mfa_grant is longer than {MaxMfaGrantLength} characters");
        }

        var keyHash = Convert.ToHexStringLower(SHA256.HashData(key.SubjectPublicKeyInfo.Span));
        var now = Now;
        var target = await RouteTargetAsync(route, ct).ConfigureAwait(false) ?? new DatabaseTarget(service, new Dictionary<string, string>());
        var window = rbac.SessionMfaWindow(target, route.DbUser, route.DbName);
        string method;
        string device = "";
        DateTimeOffset? grantExpires = null;
        string? newGrant = null;
        if (securityKey is not null)
        {
            // A security key's assertion, verified (and throttled) by VerifySessionSecurityKeyAsync in this request.
            method = "webauthn";
            device = securityKey;
        }
        else if (otp.Length > 0)
        {
            var source = LoginThrottle.SourceOf(clientAddr);
            if (await _throttle.RetryAfterAsync(user, source, ct).ConfigureAwait(false) is { } wait)
            {
                var seconds = (int)Math.Ceiling(wait.TotalSeconds);
                RecordSessionMfaRefusal(user, clientAddr, service, SessionMfaRefusal.Throttled, "throttled", aggregated: true);
                throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many failed one-time codes: try again in {seconds}s"), wait);
            }

            var matched = await VerifyUserOtpAsync(user, record, otp, ct).ConfigureAwait(false);
            if (matched is null)
            {
                await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
                RecordSessionMfaRefusal(user, clientAddr, service, SessionMfaRefusal.Failed, "wrong or reused one-time code", aggregated: true);
                throw new AuthException(401, $"session MFA for {service} failed: the one-time code is wrong or was already used; wait for the next code of your authenticator and try again");
            }

            await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
            method = "totp";
            device = matched;
            if (request.RequestMfaGrant == true)
            {
                (newGrant, grantExpires) = await StoreMfaGrantAsync(user, route, keyHash, now, now + window < presented.NotAfter ? now + window : presented.NotAfter, ct).ConfigureAwait(false);
            }
        }
        else if (grant.Length > 0)
        {
            var found = await Backend.GetAsync(BackendKeys.MfaGrant(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(grant)))), StorageJsonContext.Default.MfaGrantRecord, ct).ConfigureAwait(false);
            var problem = found is null ? "unknown or ended"
                : found.Expires <= now ? "ended"
                : found.User != user ? "issued to another user"
                : found.Service != service || found.Protocol != (route.Protocol == DatabaseProtocol.MySql ? "mysql" : "postgres") || found.DbUser != route.DbUser || found.DbName != route.DbName ? "issued for another route"
                : !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(found.KeySha256), Convert.FromHexString(keyHash)) ? "issued for another key"
                : null;
            if (problem is not null)
            {
                FerryMetrics.Refused(FerryMetrics.Sides.Auth, SessionMfaRefusal.GrantRefused);
                AuthLog.SessionMfaRefused(_log, Bounded(user), Bounded(clientAddr), service, SessionMfaRefusal.GrantRefused + ": " + problem);
                Emit(AuditEventKinds.SessionMfaGrantRefused, user, false, "MFA grant " + problem, clientAddr,
                    new() { ["database"] = service, ["db_user"] = route.DbUser, ["reason"] = problem }, presented.Roles);
                throw new AuthException(SessionMfa.RequiredStatus, $"{SessionMfa.RequiredMessage}: the MFA window for {service} has ended (grant {problem}); enter a new one-time code");
            }

            method = "grant";
            grantExpires = found!.Expires;
        }
        else
        {
            RecordSessionMfaRefusal(user, clientAddr, service, SessionMfaRefusal.Required, "no one-time code", aggregated: false);
            throw new AuthException(SessionMfa.RequiredStatus,
                $"{SessionMfa.RequiredMessage}: {service} needs a fresh one-time code for each session certificate; `ferry db connect {service}` and `ferry proxy db {service}` ask for it (scripts: --otp CODE or FERRY_OTP)");
        }

        var remaining = presented.NotAfter - now;
        var sessionCap = remaining < rbac.MaxSessionTtl ? remaining : rbac.MaxSessionTtl;
        var (ttl, sessionNotAfter) = SessionMfaLimits(now, sessionCap);
        var identity = new UserIdentity
        {
            User = user,
            ClusterName = ClusterName,
            Roles = roles,
            Traits = traits,
            Route = route,
            AccessRequestIds = presented.AccessRequestIds,
            MfaVerified = true,
            SessionNotAfter = sessionNotAfter,
        };
        var response = IssueUser(key, identity, ttl, sessionCap);
        response.MfaVerified = true;
        response.SessionExpires = sessionNotAfter;
        response.MfaGrant = newGrant;
        response.MfaGrantExpires = grantExpires;
        var details = new Dictionary<string, string>
        {
            ["database"] = service,
            ["db_user"] = route.DbUser,
            ["expires"] = response.Expires.ToString("O", CultureInfo.InvariantCulture),
            ["session_expires"] = response.SessionExpires.Value.ToString("O", CultureInfo.InvariantCulture),
        };
        if (grantExpires is { } g)
        {
            details["grant_expires"] = g.ToString("O", CultureInfo.InvariantCulture);
            details["window"] = Duration.Format(window);
        }

        if (method is "totp" or "webauthn")
        {
            details["method"] = method;
            details["device"] = device;
            Emit(AuditEventKinds.SessionMfaSuccess, user, true, null, clientAddr, details, roles);
        }
        else
        {
            Emit(AuditEventKinds.SessionMfaGrantUse, user, true, null, clientAddr, details, roles);
        }

        AuthLog.SessionMfaPassed(_log, user, Bounded(clientAddr), service, method, response.Expires);
        return response;
    }

    /// <summary>
    /// The limits of a session-MFA certificate, whichever check it follows (TOTP, grant, the provider's MFA claims): it
    /// opens connections for at most <see cref="MaxSessionMfaCertificateTtl"/> (or the configured shorter TTL), and the
    /// sessions it opened run until <paramref name="now"/> + <paramref name="sessionCap"/> (its SessionNotAfter).
    /// </summary>
    private (TimeSpan CertificateTtl, DateTimeOffset SessionNotAfter) SessionMfaLimits(DateTimeOffset now, TimeSpan sessionCap) =>
        (_options.SessionMfaCertificateTtl < MaxSessionMfaCertificateTtl ? _options.SessionMfaCertificateTtl : MaxSessionMfaCertificateTtl, now + sessionCap);

    /// <summary>
    /// Stores an MFA grant for <paramref name="user"/>, <paramref name="route"/> and the key whose SubjectPublicKeyInfo
    /// hashes to <paramref name="keyHash"/>, until <paramref name="ends"/>; only its SHA-256 is stored. Returns the token.
    /// </summary>
    private async Task<(string Token, DateTimeOffset Expires)> StoreMfaGrantAsync(string user, DatabaseRoute route, string keyHash, DateTimeOffset now, DateTimeOffset ends, CancellationToken ct)
    {
        var token = Sso.Base64Url.Random(32);
        await Backend.PutAsync(BackendKeys.MfaGrant(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)))), new MfaGrantRecord
        {
            User = user,
            Service = route.ServiceName,
            Protocol = route.Protocol == DatabaseProtocol.MySql ? "mysql" : "postgres",
            DbUser = route.DbUser,
            DbName = route.DbName,
            KeySha256 = keyHash,
            Expires = ends,
        }, StorageJsonContext.Default.MfaGrantRecord, ends - now, ct).ConfigureAwait(false);
        return (token, ends);
    }

    /// <summary>Counts, logs and audits a refused session-MFA request; failures and throttling go through the login failure window aggregation.</summary>
    private void RecordSessionMfaRefusal(string user, string clientAddr, string service, string reason, string error, bool aggregated)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, reason);
        var boundedUser = Bounded(user);
        var boundedAddr = Bounded(clientAddr);
        AuthLog.SessionMfaRefused(_log, boundedUser, boundedAddr, service, reason);
        if (!aggregated || _loginAudit.Record(boundedUser, boundedAddr, "session MFA: " + error))
        {
            Emit(AuditEventKinds.SessionMfaFailure, boundedUser, false, "session MFA: " + error, boundedAddr, new() { ["database"] = service, ["reason"] = reason });
        }
    }

    /// <summary>
    /// Checks <paramref name="otp"/> against the user's TOTP secrets (the local login's, then each confirmed device) and
    /// consumes the matched step for that secret (a code is accepted once). Returns the device name ("login" for the
    /// login's), or null.
    /// </summary>
    private async Task<string?> VerifyUserOtpAsync(string user, UserRecord? record, string otp, CancellationToken ct)
    {
        var now = Now;
        string? matchedName = null;
        string? useKey = null;
        long step = 0;
        if (record is { TotpSecret.Length: > 0 } && Totp.Verify(Base32.Decode(record.TotpSecret), otp, now) is { } s)
        {
            (matchedName, useKey, step) = ("login", BackendKeys.TotpUse(user), s);
        }

        foreach (var device in await ConfirmedDevicesAsync(user, ct).ConfigureAwait(false))
        {
            if (Totp.Verify(Base32.Decode(device.Secret), otp, now) is { } d && matchedName is null)
            {
                (matchedName, useKey, step) = (device.Name, BackendKeys.MfaDeviceUse(user, device.Name), d);
            }
        }

        if (matchedName is null || !await ConsumeTotpStepAtAsync(useKey!, step, ct).ConfigureAwait(false))
        {
            return null;
        }

        return matchedName;
    }

    private async Task<List<MfaDeviceRecord>> ConfirmedDevicesAsync(string user, CancellationToken ct) =>
        (await Backend.RangeAsync(BackendKeys.MfaDevicesOf(user), StorageJsonContext.Default.MfaDeviceRecord, ct).ConfigureAwait(false))
            .Where(d => d.Confirmed)
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();

    private async Task<bool> ConsumeTotpStepAtAsync(string key, long step, CancellationToken ct)
    {
        var current = await Backend.GetWithRevisionAsync(key, StorageJsonContext.Default.TotpUse, ct).ConfigureAwait(false);
        if (current is { } c && c.Value.Step >= step)
        {
            return false;
        }

        var swapped = await Backend.CompareAndSwapAsync(key, current?.Revision ?? 0, new TotpUse { Step = step }, StorageJsonContext.Default.TotpUse, cancellationToken: ct).ConfigureAwait(false);
        return swapped is not null;
    }
}
