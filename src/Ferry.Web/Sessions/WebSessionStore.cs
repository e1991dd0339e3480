using System.Security.Cryptography;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.Extensions.Logging;

namespace Ferry.Web.Sessions;

/// <summary>
/// The web sessions of this auth service, in memory: bounded per user (a new login ends the user's oldest beyond
/// <see cref="WebOptions.MaxSessionsPerUser"/>) and in total (<see cref="WebOptions.MaxSessions"/>, then 503), ended at
/// their idle or absolute deadline (checked on every use and by a sweep), on logout and when the service stops.
/// Every end is audited as <c>user.logout</c> (method <c>web</c>, with the reason) and counted.
/// </summary>
internal sealed class WebSessionStore : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WebSession> _byHash = new(StringComparer.Ordinal);
    private readonly WebOptions _options;
    private readonly IWebAuthority _authority;
    private readonly ILogger _log;
    private readonly ITimer _sweep;

    public WebSessionStore(WebOptions options, IWebAuthority authority, ILogger log)
    {
        _options = options;
        _authority = authority;
        _log = log;
        _sweep = authority.Time.CreateTimer(static s => ((WebSessionStore)s!).Sweep(), this, options.SweepInterval, options.SweepInterval);
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byHash.Count;
            }
        }
    }

    /// <summary>A new session for a verified login; returns it and the cookie value (shown once, never stored).</summary>
    public (WebSession Session, string Cookie) Create(UserIdentity identity, KeyPair key, string certificatePem, string clientAddr)
    {
        var now = _authority.Time.GetUtcNow();
        var cookie = RandomToken();
        var absolute = now + _options.SessionTtl;
        if (identity.NotAfter < absolute)
        {
            absolute = identity.NotAfter; // the certificate's life, which the roles' max_session_ttl capped
        }

        var session = new WebSession(Hash(cookie), identity, key, certificatePem, RandomToken(), clientAddr, now, absolute, _options.IdleTimeout);
        List<(WebSession, string)> evicted = [];
        lock (_gate)
        {
            if (_byHash.Count >= _options.MaxSessions)
            {
                evicted.AddRange(ExpiredUnsynchronized(now));
                foreach (var (s, _) in evicted)
                {
                    _byHash.Remove(s.IdHash);
                }
            }

            if (_byHash.Count >= _options.MaxSessions)
            {
                FerryMetrics.Refused(FerryMetrics.Sides.Web, "web_sessions_full");
                WebLog.SessionsFull(_log, _options.MaxSessions);
                throw new WebApiException(503, "unavailable", "the server has too many web sessions open: try again later");
            }

            var mine = _byHash.Values.Where(s => s.User == identity.User).OrderBy(s => s.Created).ToList();
            for (var i = 0; i <= mine.Count - _options.MaxSessionsPerUser; i++)
            {
                _byHash.Remove(mine[i].IdHash);
                evicted.Add((mine[i], "replaced"));
            }

            _byHash[session.IdHash] = session;
        }

        FerryMetrics.WebSessionStarted();
        foreach (var (s, reason) in evicted)
        {
            Finish(s, reason);
        }

        return (session, cookie);
    }

    /// <summary>The live session of a cookie, its idle deadline moved; null (and the session ended) when unknown or expired.</summary>
    public WebSession? Find(string? cookie, out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 128)
        {
            return null;
        }

        var now = _authority.Time.GetUtcNow();
        WebSession? session;
        lock (_gate)
        {
            session = _byHash.GetValueOrDefault(Hash(cookie));
            if (session is null)
            {
                return null;
            }

            reason = session.ExpiredReason(now);
            if (reason is not null)
            {
                _byHash.Remove(session.IdHash);
            }
        }

        if (reason is not null)
        {
            Finish(session, reason);
            return null;
        }

        session.Touch(now);
        return session;
    }

    /// <summary>Ends a session now (logout, lock, console connection closed by a lock...).</summary>
    public void End(WebSession session, string reason)
    {
        lock (_gate)
        {
            _byHash.Remove(session.IdHash);
        }

        Finish(session, reason);
    }

    /// <summary>Ends every expired session (timer; also callable from tests with a fake clock).</summary>
    public void Sweep()
    {
        List<(WebSession, string)> expired;
        lock (_gate)
        {
            expired = ExpiredUnsynchronized(_authority.Time.GetUtcNow());
            foreach (var (s, _) in expired)
            {
                _byHash.Remove(s.IdHash);
            }
        }

        foreach (var (s, reason) in expired)
        {
            Finish(s, reason);
        }
    }

    private List<(WebSession, string)> ExpiredUnsynchronized(DateTimeOffset now)
    {
        var list = new List<(WebSession, string)>();
        foreach (var s in _byHash.Values)
        {
            if (s.ExpiredReason(now) is { } reason)
            {
                list.Add((s, reason));
            }
        }

        return list;
    }

    private void Finish(WebSession session, string reason)
    {
        var consoles = session.End();
        if (consoles is null)
        {
            return;
        }

        FerryMetrics.WebSessionEnded();
        foreach (var console in consoles)
        {
            console.Close("the web session ended (" + reason + ")");
        }

        WebLog.SessionEnded(_log, session.User, reason, consoles.Count);
        _authority.Audit(AuditEventKinds.UserLogout, session.User, true, null, session.ClientAddr,
            new() { ["method"] = "web", ["reason"] = reason, ["consoles"] = consoles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            session.Identity.Roles);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        List<WebSession> all;
        lock (_gate)
        {
            all = [.. _byHash.Values];
            _byHash.Clear();
        }

        foreach (var s in all)
        {
            Finish(s, "server_stopped");
        }
    }

    internal static string RandomToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));
}
