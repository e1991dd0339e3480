using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Ferry.Agent;

/// <summary>
/// Probes each database's address with a TCP connect on an interval; heartbeats carry the result so
/// proxies prefer agents that reach the database and <c>ferry db ls</c> shows what is down and why.
/// </summary>
public sealed class DatabaseHealth
{
    private readonly ConcurrentDictionary<string, string?> _errors = new(StringComparer.Ordinal);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The last probe's error for <paramref name="database"/>; null when it answered (or was not probed yet).</summary>
    public string? Error(string database) => _errors.TryGetValue(database, out var e) ? e : null;

    public async Task RunAsync(IReadOnlyDictionary<string, AgentDatabase> databases, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(databases);
        while (!ct.IsCancellationRequested)
        {
            await Task.WhenAll(databases.Values.Select(d => ProbeAsync(d, ct))).ConfigureAwait(false);
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

    private async Task ProbeAsync(AgentDatabase db, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(db.Host, db.Port, timeout.Token).ConfigureAwait(false);
            _errors[db.Name] = null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _errors[db.Name] = $"{db.Host}:{db.Port} did not answer within {Timeout.TotalSeconds:0}s";
        }
        catch (SocketException e)
        {
            _errors[db.Name] = $"{db.Host}:{db.Port}: {e.SocketErrorCode}";
        }
        catch (OperationCanceledException)
        {
            // The agent is stopping (its token was cancelled, not the probe's timeout): the result no longer matters.
        }
    }
}
