using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client;

/// <summary>
/// Asks the person for a one-time code: <paramref name="reason"/> is the server's message. Returns null when no code
/// can be had (no terminal, input closed).
/// </summary>
public delegate Task<string?> OtpPrompt(string reason, CancellationToken ct);

/// <summary>
/// Issues certificates routed to one database, passing session MFA when the server asks for it: the first request
/// goes without a check; on <see cref="SessionMfaRequiredException"/> it passes the check once and retries — with a
/// one-time code (<see cref="OtpPrompt"/>), or, for a single sign-on login whose connector trusts the provider's MFA,
/// by signing in at the identity provider again in the browser (<see cref="SsoLogin.SessionMfaAsync"/>); see
/// <see cref="SessionMfaMethod"/>. With <c>keepGrant</c> (<c>ferry proxy db</c>) it keeps the MFA grant the check
/// returns, in memory only, and obtains the next 1-minute certificates with it, without a prompt or a browser, until
/// the role's <c>session_mfa_window</c> ends; then it checks again the same way.
/// </summary>
public sealed class SessionMfaIssuer(ClientSession session, string service, string protocol, string dbUser, string dbName, SessionMfaOptions? options, bool keepGrant, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SessionMfaOptions _options = options ?? SessionMfaOptions.OtpOnly(null);
    private string? _grant;
    private DateTimeOffset _grantExpires;
    private bool _mfaRequired;

    public SessionMfaIssuer(ClientSession session, string service, string protocol, string dbUser, string dbName, OtpPrompt? prompt, bool keepGrant, TimeProvider? time = null)
        : this(session, service, protocol, dbUser, dbName, SessionMfaOptions.OtpOnly(prompt), keepGrant, time)
    {
    }

    public string Service => service;

    /// <summary>How many times a code was asked for, or the provider's page shown.</summary>
    public int Prompts { get; private set; }

    /// <summary>How the last check was passed: <c>otp</c>, <c>sso</c>, or null before any.</summary>
    public string? LastMethod { get; private set; }

    /// <summary>Whether the last certificate issued is a session-MFA certificate.</summary>
    public bool MfaVerified { get; private set; }

    /// <summary>For a session-MFA certificate: how long sessions opened with it may run.</summary>
    public DateTimeOffset? SessionExpires { get; private set; }

    /// <summary>End of the MFA window of the grant held, if any.</summary>
    public DateTimeOffset? GrantExpires => _grant is null ? null : _grantExpires;

    /// <summary>A certificate for the route (PEM, usable form, NotAfter); asks for a code only when the server needs one and no grant works.</summary>
    public async Task<(string Pem, X509Certificate2 Certificate, DateTimeOffset Expires)> IssueAsync(CancellationToken ct = default)
    {
        var windowEnded = false;
        if (_grant is { } grant)
        {
            if (_time.GetUtcNow() < _grantExpires)
            {
                try
                {
                    return Take(await session.IssueRoutedWithMfaAsync(service, protocol, dbUser, dbName, null, grant, false, ct).ConfigureAwait(false));
                }
                catch (SessionMfaRequiredException)
                {
                    // the window ended on the server's clock (or it forgot the grant): ask again below
                }
            }

            _grant = null;
            windowEnded = true;
        }

        string reason;
        if (!_mfaRequired)
        {
            try
            {
                return Take(await session.IssueRoutedWithMfaAsync(service, protocol, dbUser, dbName, null, null, false, ct).ConfigureAwait(false));
            }
            catch (SessionMfaRequiredException e)
            {
                _mfaRequired = true;
                reason = e.Message;
            }
        }
        else
        {
            reason = windowEnded
                ? $"the MFA window for {service} has ended: pass MFA again"
                : $"{Ferry.Contracts.SessionMfa.RequiredMessage}: {service}";
        }

        Prompts++;
        if (await ProviderConnectorAsync(ct).ConfigureAwait(false) is { } connector)
        {
            LastMethod = "sso";
            var route = new Ferry.Contracts.RouteRequest { Service = service, Protocol = protocol, DbUser = dbUser, DbName = dbName };
            return Take(await SsoLogin.SessionMfaAsync(session, connector, route, keepGrant, _options.OpenBrowser!, _options.BrowserTimeout, $"run `{_options.Command}` again", ct).ConfigureAwait(false));
        }

        LastMethod = "otp";
        var code = _options.Otp is null ? null : await _options.Otp(windowEnded ? $"the MFA window for {service} has ended: enter a new one-time code" : reason, ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new FerryClientException(reason + "; no one-time code could be asked for here (no terminal): pass --otp CODE or set FERRY_OTP"
                + (session.Identity.Connector.Length > 0 && _options.Method == SessionMfaMethod.Auto ? ", or sign in at the identity provider with --mfa=sso" : ""));
        }

        return Take(await session.IssueRoutedWithMfaAsync(service, protocol, dbUser, dbName, code.Trim(), null, keepGrant, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// The connector to pass MFA at when the provider is the way (<c>--mfa=sso</c>, or auto for a single sign-on login
    /// whose connector trusts the provider's MFA and no code was given); null for a one-time code. Throws when
    /// <c>--mfa=sso</c> cannot work, with the fix.
    /// </summary>
    private async Task<string?> ProviderConnectorAsync(CancellationToken ct)
    {
        var method = _options.Method;
        if (method == SessionMfaMethod.Otp || (method == SessionMfaMethod.Auto && _options.OtpGiven))
        {
            return null;
        }

        var connector = session.Identity.Connector;
        if (connector.Length == 0 || _options.OpenBrowser is null)
        {
            return method == SessionMfaMethod.Sso
                ? throw new FerryClientException($"--mfa=sso signs in at the identity provider, but you are logged in to {session.Address} as local user {session.Identity.User}: pass a one-time code (--mfa=otp), or log in with `ferry login --sso`")
                : null;
        }

        List<Ferry.Contracts.SsoConnectorInfo> offered;
        try
        {
            using var api = Api.ClusterApi.Open(session.Trust);
            offered = await api.ListSsoConnectorsAsync(ct).ConfigureAwait(false);
        }
        catch (FerryClientException) when (method == SessionMfaMethod.Auto)
        {
            return null;
        }

        var info = offered.FirstOrDefault(c => c.Name == connector);
        if (info?.Mfa == true)
        {
            return connector;
        }

        return method == SessionMfaMethod.Sso
            ? throw new FerryClientException(info is null
                ? $"--mfa=sso: the cluster no longer offers connector \"{connector}\" you logged in with: pass a one-time code (--mfa=otp) or log in again"
                : $"--mfa=sso: connector \"{connector}\" does not trust the identity provider's MFA (no mfa section): add a TOTP device (`ferry mfa add`) and pass its code (--mfa=otp), or ask an administrator to set the connector's mfa section")
            : null;
    }

    private (string Pem, X509Certificate2 Certificate, DateTimeOffset Expires) Take((Ferry.Contracts.UserCertificateResponse Reply, X509Certificate2 Certificate) issued)
    {
        var reply = issued.Reply;
        MfaVerified = reply.MfaVerified == true;
        SessionExpires = reply.SessionExpires;
        if (reply.MfaGrant is { Length: > 0 } grant && reply.MfaGrantExpires is { } ends)
        {
            _grant = grant;
            _grantExpires = ends;
        }
        else if (reply.MfaGrantExpires is { } kept && _grant is not null)
        {
            _grantExpires = kept;
        }

        return (reply.CertificatePem, issued.Certificate, reply.Expires);
    }
}
