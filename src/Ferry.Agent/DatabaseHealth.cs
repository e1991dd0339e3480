using System.Collections.Concurrent;
using System.Net.Sockets;
using Ferry.Agent.MySql;
using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.Extensions.Logging;

namespace Ferry.Agent;

/// <summary>
/// Probes each database on an interval; heartbeats carry the result so proxies prefer agents that reach the database
/// and <c>ferry db ls</c> shows what is down and why. A MySQL database with a <c>health_check_user</c> is probed with a
/// real certificate login followed by COM_QUIT (the only close MariaDB does not log as an aborted connection); every
/// other database with a plain TCP connect and close (PostgreSQL logs nothing for a connection that sends no byte;
/// MariaDB logs one "Aborted connection … closed normally without authentication" line per probe).
/// </summary>
public sealed class DatabaseHealth
{
    private readonly ConcurrentDictionary<string, string?> _errors = new(StringComparer.Ordinal);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The last probe's error for <paramref name="database"/>; null when it answered (or was not probed yet).</summary>
    public string? Error(string database) => _errors.TryGetValue(database, out var e) ? e : null;

    /// <param name="noteVersion">Told the server version and default collation a probe login saw (MySQL).</param>
    public async Task RunAsync(IReadOnlyDictionary<string, AgentDatabase> databases, IAgentAuthority? authority, Action<string, string, byte>? noteVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(databases);
        while (!ct.IsCancellationRequested)
        {
            await Task.WhenAll(databases.Values.Select(d => ProbeAsync(d, authority, noteVersion, ct))).ConfigureAwait(false);
            try
            {
                await Task.Delay(Interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ProbeAsync(AgentDatabase db, IAgentAuthority? authority, Action<string, string, byte>? noteVersion, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        string? error;
        try
        {
            if (db.Protocol == DatabaseProtocol.MySql && db.HealthCheckUser is { } user && authority is not null)
            {
                var certificate = await authority.GetHealthCheckCertificateAsync(db.Name, user, timeout.Token).ConfigureAwait(false);
                var (version, collation) = await MySqlBackendConnector.ProbeLoginAsync(db, certificate, user, timeout.Token).ConfigureAwait(false);
                noteVersion?.Invoke(db.Name, version, collation);
            }
            else
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(db.Host, db.Port, timeout.Token).ConfigureAwait(false);
            }
            error = null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"{db.Host}:{db.Port} did not answer within {Timeout.TotalSeconds:0}s";
        }
        catch (SocketException e)
        {
            error = $"{db.Host}:{db.Port}: {e.SocketErrorCode}";
        }
        catch (Exception e) when (e is DatabaseConnectException or MySqlServerRefusedException or AuthorityUnavailableException or IOException or System.Security.Authentication.AuthenticationException)
        {
            error = "health check login as " + db.HealthCheckUser + " failed: " + e.Message;
        }
        catch (OperationCanceledException)
        {
            return; // The agent is stopping (its token was cancelled, not the probe's timeout): the result no longer matters.
        }

        var previous = _errors.TryGetValue(db.Name, out var p) ? p : null;
        _errors[db.Name] = error;
        if (error is not null && error != previous)
        {
            AgentLog.HealthProbeFailed(FerryLogging.Factory.CreateLogger("Ferry.Agent"), db.Name, error);
        }
    }
}
