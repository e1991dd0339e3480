using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client;

/// <summary>
/// The certificate routed to one database that the local proxy presents upstream, kept in memory and renewed
/// (with the login certificate) once two thirds of its lifetime have passed, for as long as the login lasts.
/// </summary>
public sealed class RoutedCertificateSource : IDisposable
{
    private readonly ClientSession _session;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly List<X509Certificate2> _retired = [];
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    public RoutedCertificateSource(ClientSession session, string service, string protocol, string dbUser, string dbName, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        Service = service;
        Protocol = protocol;
        DbUser = dbUser;
        DbName = dbName;
        _time = time ?? TimeProvider.System;
    }

    public string Service { get; }

    public string Protocol { get; }

    public string DbUser { get; }

    public string DbName { get; }

    /// <summary>How many certificates were issued so far (1 after the first use).</summary>
    public int Issued { get; private set; }

    /// <summary>NotAfter of the certificate in use.</summary>
    public DateTimeOffset Expires { get; private set; }

    /// <summary>The certificate to present now; renews it first when due.</summary>
    public async Task<X509Certificate2> GetAsync(CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        if (_current is { } fresh && now < _renewAt)
        {
            return fresh;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            now = _time.GetUtcNow();
            if (_current is { } again && now < _renewAt)
            {
                return again;
            }

            var loginLeft = _session.Identity.NotAfter - now;
            if (loginLeft <= TimeSpan.Zero)
            {
                throw new FerryClientException($"your login expired {Durations.Format(loginLeft)} ago: run `{ClientSession.LoginCommand(_session.Profile)}`, then start `ferry proxy db {Service}` again");
            }

            var (_, certificate, expires) = await _session.IssueRoutedAsync(Service, Protocol, DbUser, DbName, ct).ConfigureAwait(false);
            if (_current is not null)
            {
                _retired.Add(_current); // a handshake may still hold it
            }

            _current = certificate;
            Expires = expires;
            Issued++;
            var lifetime = expires - now;
            _renewAt = now + (lifetime * 2 / 3);
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
