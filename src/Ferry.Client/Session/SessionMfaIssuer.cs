using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client;

/// <summary>
/// Asks the person for a one-time code: <paramref name="reason"/> is the server's message. Returns null when no code
/// can be had (no terminal, input closed).
/// </summary>
public delegate Task<string?> OtpPrompt(string reason, CancellationToken ct);

/// <summary>
/// Issues certificates routed to one database, passing session MFA when the server asks for it: the first request
/// goes without a code; on <see cref="SessionMfaRequiredException"/> it asks <see cref="OtpPrompt"/> once and retries
/// with the code. With <c>keepGrant</c> (<c>ferry proxy db</c>) it keeps the MFA grant the check returns, in memory
/// only, and obtains the next 1-minute certificates with it, without a prompt, until the role's
/// <c>session_mfa_window</c> ends; then it asks again.
/// </summary>
public sealed class SessionMfaIssuer(ClientSession session, string service, string protocol, string dbUser, string dbName, OtpPrompt? prompt, bool keepGrant, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private string? _grant;
    private DateTimeOffset _grantExpires;
    private bool _mfaRequired;

    public string Service => service;

    /// <summary>How many times a code was asked for.</summary>
    public int Prompts { get; private set; }

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
                ? $"the MFA window for {service} has ended: enter a new one-time code"
                : $"{Ferry.Contracts.SessionMfa.RequiredMessage}: {service}";
        }

        Prompts++;
        var code = prompt is null ? null : await prompt(reason, ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(code))
        {
            throw new FerryClientException(reason + "; no one-time code could be asked for here (no terminal): pass --otp CODE or set FERRY_OTP");
        }

        return Take(await session.IssueRoutedWithMfaAsync(service, protocol, dbUser, dbName, code.Trim(), null, keepGrant, ct).ConfigureAwait(false));
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
