using System.Security.Cryptography;
using Ferry.Identity;
using Ferry.Web.Consoles;

namespace Ferry.Web.Sessions;

/// <summary>
/// One browser's login: the user's identity, a key pair and a user certificate made for this web session only (the
/// browser never sees either), the CSRF token, the idle and absolute deadlines, and its open consoles. Ending it
/// closes the consoles and destroys the private key, so the certificate can no longer be used by anyone.
/// </summary>
internal sealed class WebSession
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DatabaseConsole> _consoles = new(StringComparer.Ordinal);
    private KeyPair? _key;
    private bool _ended;

    public WebSession(string idHash, UserIdentity identity, KeyPair key, string certificatePem, string csrfToken, string clientAddr, DateTimeOffset now, DateTimeOffset absoluteDeadline, TimeSpan idleTimeout)
    {
        IdHash = idHash;
        Identity = identity;
        _key = key;
        CertificatePem = certificatePem;
        CsrfToken = csrfToken;
        ClientAddr = clientAddr;
        Created = now;
        AbsoluteDeadline = absoluteDeadline;
        IdleTimeout = idleTimeout;
        IdleDeadline = Min(now + idleTimeout, absoluteDeadline);
    }

    /// <summary>SHA-256 (hex) of the cookie value: the store never keys on the secret itself.</summary>
    public string IdHash { get; }

    public UserIdentity Identity { get; }

    public string User => Identity.User;

    public string CertificatePem { get; }

    public string CsrfToken { get; }

    public string ClientAddr { get; }

    public DateTimeOffset Created { get; }

    public DateTimeOffset AbsoluteDeadline { get; }

    public TimeSpan IdleTimeout { get; }

    public DateTimeOffset IdleDeadline { get; private set; }

    public bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>Why the session is no longer usable at <paramref name="now"/> (null while it is).</summary>
    public string? ExpiredReason(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _ended ? "ended" : now >= AbsoluteDeadline ? "expired" : now >= IdleDeadline ? "idle" : null;
        }
    }

    private string? _ssoReauthTicket;

    /// <summary>Keeps the proof of a fresh re-authentication at the SSO provider until <c>register/begin</c> takes it (the latest wins).</summary>
    public void KeepSsoReauthTicket(string ticket)
    {
        lock (_gate)
        {
            _ssoReauthTicket = ticket;
        }
    }

    /// <summary>The kept re-authentication proof, once (null when there is none).</summary>
    public string? TakeSsoReauthTicket()
    {
        lock (_gate)
        {
            var ticket = _ssoReauthTicket;
            _ssoReauthTicket = null;
            return ticket;
        }
    }

    /// <summary>A request arrived: the idle deadline moves (never past the absolute one).</summary>
    public void Touch(DateTimeOffset now)
    {
        lock (_gate)
        {
            IdleDeadline = Min(now + IdleTimeout, AbsoluteDeadline);
        }
    }

    public bool CsrfMatches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(CsrfToken));

    /// <summary>Runs <paramref name="use"/> with the session's key while it lives (the key is destroyed at the end).</summary>
    public T WithKey<T>(Func<KeyPair, T> use)
    {
        lock (_gate)
        {
            if (_ended || _key is null)
            {
                throw new WebApiException(401, "session_ended", "your web session has ended: sign in again");
            }

            return use(_key);
        }
    }

    public int ConsoleCount
    {
        get
        {
            lock (_gate)
            {
                return _consoles.Count;
            }
        }
    }

    /// <summary>Adds a console unless the session ended or has <paramref name="max"/> already.</summary>
    public bool TryAddConsole(DatabaseConsole console, int max)
    {
        lock (_gate)
        {
            if (_ended || _consoles.Count >= max)
            {
                return false;
            }

            _consoles[console.Id] = console;
            return true;
        }
    }

    public DatabaseConsole? FindConsole(string id)
    {
        lock (_gate)
        {
            return _consoles.GetValueOrDefault(id);
        }
    }

    public DatabaseConsole? RemoveConsole(string id)
    {
        lock (_gate)
        {
            return _consoles.Remove(id, out var console) ? console : null;
        }
    }

    /// <summary>Marks the session ended, destroys the key and returns the consoles to close (once; later calls get none).</summary>
    public IReadOnlyList<DatabaseConsole>? End()
    {
        lock (_gate)
        {
            if (_ended)
            {
                return null;
            }

            _ended = true;
            _key?.Dispose();
            _key = null;
            var consoles = _consoles.Values.ToList();
            _consoles.Clear();
            return consoles;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
