using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Users;
using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth;

/// <summary>
/// The auth state of one data directory: backend (users, roles, tokens, locks, hosts), the three CAs, login
/// throttling and audit emission. Used by the HTTPS API (<see cref="AuthServer"/>) and by local administration
/// (<see cref="AdminCommand"/>), which work on the same files. Thread-safe.
/// </summary>
public sealed partial class AuthService : IAsyncDisposable
{
    private readonly AuthServiceOptions _options;
    private readonly LoginThrottle _throttle;
    private readonly IAuditSink _audit;
    private readonly TimeProvider _time;
    private readonly AuditEventFactory _events;
    private readonly LoginFailureAudit _loginAudit;
    private readonly ITimer _loginAuditFlush;
    private readonly ILogger _log;
    private readonly ITimer? _accessRequestSweep;
    private readonly Notifications.AccessRequestNotifier? _notifier;
    private int _sweeping;

    private AuthService(AuthServiceOptions options, IBackend backend, CertificateAuthorityStore authority, IAuditSink audit)
    {
        _options = options;
        _time = options.Time;
        _proxyList = new Hosts.ProxyListCache(_time, Hosts.ProxyListCache.DefaultTtl);
        Backend = backend;
        Authority = authority;
        Issuer = new CertificateIssuer(authority);
        _throttle = new LoginThrottle(backend, _time, options.Throttle);
        _audit = audit;
        _events = new AuditEventFactory(AuditOrigin.Server(options.ClusterName, options.ServerId), _time);
        _log = FerryLogging.Factory.CreateLogger("Ferry.Auth");
        _loginAudit = new LoginFailureAudit(options.Throttle);
        _loginAuditFlush = _time.CreateTimer(static s => ((AuthService)s!).FlushLoginAudit(), this, options.Throttle.AuditWindow, options.Throttle.AuditWindow);
        _notifier = options.Webhook is { } webhook ? Notifications.AccessRequestNotifier.Start(webhook, _time, _log) : null;
        if (options.SweepAccessRequests)
        {
            var every = options.AccessRequests.SweepInterval;
            _accessRequestSweep = _time.CreateTimer(static s => ((AuthService)s!).StartAccessRequestSweep(), this, every, every);
            FerryMetrics.RegisterAccessRequestsPending(this, () => AccessRequestsPending);
        }
    }

    /// <summary>One background sweep at a time; a failure is logged and counted, and the next tick tries again.</summary>
    private void StartAccessRequestSweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await SweepAccessRequestsAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FerryMetrics.BackgroundFailure("access_request_sweep");
                AuthLog.AccessRequestSweepFailed(_log, e.Message);
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        });
    }

    public IBackend Backend { get; }

    public CertificateAuthorityStore Authority { get; }

    public CertificateIssuer Issuer { get; }

    /// <summary>Verifies user certificates against the user CA's trusted keys (as of the last rotation step).</summary>
    public IdentityVerifier UserVerifier => Authority.CurrentVerifier(CaKind.User);

    /// <summary>Verifies host certificates against the host CA's trusted keys (as of the last rotation step).</summary>
    public IdentityVerifier HostVerifier => Authority.CurrentVerifier(CaKind.Host);

    public string ClusterName => _options.ClusterName;

    public string DataDir => _options.DataDir;

    /// <summary>Opens the SQLite backend and the CAs in <see cref="AuthServiceOptions.DataDir"/>, creating them on first use.</summary>
    public static AuthService Open(AuthServiceOptions options, IAuditSink audit)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(audit);
        if (options.Backend.Kind != Ferry.Config.BackendKind.Sqlite)
        {
            throw new InvalidOperationException("a PostgreSQL backend is opened with OpenAsync");
        }
        var authority = CertificateAuthorityStore.OpenOrCreate(options.DataDir, options.ClusterName, options.Time);
        try
        {
            var backend = SqliteBackend.Open(options.DataDir, options.Time);
            return new AuthService(options, backend, authority, audit);
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the backend <see cref="AuthServiceOptions.Backend"/> names: SQLite in the data directory with the CAs as
    /// files there, or PostgreSQL (schema created or migrated here) with the CAs in it, private keys sealed with
    /// <c>auth.ca_key_encryption</c>; CA files in the data directory are imported when the backend has no CAs yet.
    /// </summary>
    public static async Task<AuthService> OpenAsync(AuthServiceOptions options, IAuditSink audit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(audit);
        if (options.Backend.Kind == Ferry.Config.BackendKind.Sqlite)
        {
            return Open(options, audit);
        }
        var backend = await PostgresBackend.OpenAsync(options.Backend.ConnString!, options.Time, cancellationToken: ct).ConfigureAwait(false);
        try
        {
            var (authority, key) = await OpenSharedAuthorityAsync(options, backend, ct).ConfigureAwait(false);
            var service = new AuthService(options, backend, authority, audit) { _caEncryption = key };
            service.StartFollowingSharedCa();
            return service;
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopFollowingSharedCaAsync().ConfigureAwait(false);
        await _loginAuditFlush.DisposeAsync().ConfigureAwait(false);
        if (_accessRequestSweep is not null)
        {
            await _accessRequestSweep.DisposeAsync().ConfigureAwait(false);
            FerryMetrics.UnregisterAccessRequestsPending(this);
        }

        if (_notifier is not null)
        {
            await _notifier.DisposeAsync().ConfigureAwait(false);
        }

        for (var i = 0; i < 500 && Volatile.Read(ref _sweeping) == 1; i++)
        {
            await Task.Delay(10).ConfigureAwait(false); // let a running sweep finish before the backend closes
        }

        _accessRequestCreate.Dispose();
        FlushLoginAudit();
        await Backend.DisposeAsync().ConfigureAwait(false);
        Authority.Dispose();
        _caEncryption?.Dispose();
    }

    internal DateTimeOffset Now => _time.GetUtcNow();

    internal void Emit(AuditEventKind kind, string? user, bool success = true, string? error = null, string? clientAddr = null, Dictionary<string, string>? details = null, IReadOnlyList<string>? roles = null)
    {
        var e = _events.Create(kind);
        e.User = user;
        e.Roles = roles;
        e.ClientAddr = clientAddr;
        e.Success = success;
        e.Error = error;
        e.Details = details;
        _audit.Emit(e);
    }
}
