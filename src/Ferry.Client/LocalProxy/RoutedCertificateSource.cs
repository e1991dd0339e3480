using Ferry.Text;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// The certificate routed to one database that the local proxy presents upstream, kept in memory and renewed
/// (with the login certificate) once two thirds of its lifetime have passed, for as long as the login lasts.
/// </summary>
public sealed class RoutedCertificateSource : IDisposable
{
    private readonly Func<CancellationToken, Task<(X509Certificate2 Certificate, DateTimeOffset Expires)>> _issue;
    private readonly DateTimeOffset _loginExpires;
    private readonly string _loginCommand;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly List<X509Certificate2> _retired = [];
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    /// <summary>Issues through the login of <paramref name="session"/>.</summary>
    public RoutedCertificateSource(ClientSession session, string service, string protocol, string dbUser, string dbName, TimeProvider? time = null)
        : this(
            service,
            async ct =>
            {
                var (_, certificate, expires) = await session.IssueRoutedAsync(service, protocol, dbUser, dbName, ct).ConfigureAwait(false);
                return (certificate, expires);
            },
            session.Identity.NotAfter,
            ClientSession.LoginCommand(session.Profile),
            time)
    {
    }

    /// <summary>Issues through <paramref name="issuer"/> (session MFA: one code, then the grant's window) for the login of <paramref name="session"/>.</summary>
    public RoutedCertificateSource(ClientSession session, SessionMfaIssuer issuer, TimeProvider? time = null)
        : this(
            issuer?.Service ?? throw new ArgumentNullException(nameof(issuer)),
            async ct =>
            {
                var (_, certificate, expires) = await issuer.IssueAsync(ct).ConfigureAwait(false);
                return (certificate, expires);
            },
            session.Identity.NotAfter,
            ClientSession.LoginCommand(session.Profile),
            time)
    {
    }

    /// <summary>Issues with <paramref name="issue"/> until <paramref name="loginExpires"/>.</summary>
    internal RoutedCertificateSource(string service, Func<CancellationToken, Task<(X509Certificate2 Certificate, DateTimeOffset Expires)>> issue, DateTimeOffset loginExpires, string loginCommand, TimeProvider? time = null)
    {
        Service = service;
        _issue = issue;
        _loginExpires = loginExpires;
        _loginCommand = loginCommand;
        _time = time ?? TimeProvider.System;
    }

    public string Service { get; }

    /// <summary>How many certificates were issued so far (1 after the first use).</summary>
    public int Issued { get; private set; }

    /// <summary>NotAfter of the certificate in use.</summary>
    public DateTimeOffset Expires { get; private set; }

    /// <summary>The certificate to present now; renews it first when due; after the login ends, says what to run.</summary>
    public async Task<X509Certificate2> GetAsync(CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        if (_current is { } fresh && now < _renewAt && now < Expires)
        {
            return fresh;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            now = _time.GetUtcNow();
            if (_current is { } again && now < _renewAt && now < Expires)
            {
                return again;
            }

            if (now >= _loginExpires)
            {
                throw new FerryClientException($"your login expired {DurationText.Format(now - _loginExpires)} ago: run `{_loginCommand}`, then start `ferry proxy db {Service}` again");
            }

            var (certificate, expires) = await _issue(ct).ConfigureAwait(false);
            if (_current is not null)
            {
                _retired.Add(_current); // a handshake may still hold it
            }

            _current = certificate;
            Expires = expires;
            Issued++;
            _renewAt = CertificateRenewal.RenewAt(now, expires);
            return certificate;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _current?.Dispose();
        foreach (var c in _retired)
        {
            c.Dispose();
        }

        _gate.Dispose();
    }
}
