using System.Buffers;
using System.Text;
using Ferry.Config;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

/// <summary>
/// Idle PostgreSQL server connections of one database, kept after a session ended cleanly
/// (Terminate at a ReadyForQuery 'I') and reset with <c>DISCARD ALL</c>, for the next session with
/// the same db user, db name and start-up parameters (<see cref="Key"/>). Every session is still
/// authorised by RBAC and locks before it is handed a connection; the pool only saves the TCP
/// connect, the TLS handshake and the server's process start.
/// </summary>
/// <remarks>
/// An idle connection has a read pending on it; if the server speaks or closes (idle_session_timeout,
/// pg_terminate_backend, a restart) the connection leaves the pool at once. Connections idle longer
/// than <see cref="DatabasePoolConfig.IdleTimeout"/> or older than <see cref="DatabasePoolConfig.MaxLifetime"/>
/// are closed by a sweep, and at most <see cref="DatabasePoolConfig.MaxIdle"/> are kept per key.
/// </remarks>
internal sealed class PostgresBackendPool : IAsyncDisposable
{
    private static readonly TimeSpan ResetTimeout = TimeSpan.FromSeconds(10);
    private static readonly byte[] DiscardAll = BuildDiscardAll();

    private readonly DatabasePoolConfig _config;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, List<PostgresBackend>> _idle = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;
    private bool _disposed;

    public PostgresBackendPool(DatabasePoolConfig config, TimeProvider time)
    {
        _config = config;
        _time = time;
        var period = TimeSpan.FromTicks(Math.Clamp(config.IdleTimeout.Ticks / 2, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
        _sweep = time.CreateTimer(_ => _ = SweepAsync(), null, period, period);
    }

    /// <summary>The pool key: everything the server's session was started with (db user and db name included).</summary>
    public static string Key(int protocolMinor, IReadOnlyList<KeyValuePair<string, string>> startupParameters)
    {
        var sb = new StringBuilder();
        sb.Append(protocolMinor);
        foreach (var (k, v) in startupParameters)
        {
            sb.Append('\0').Append(k).Append('\0').Append(v);
        }
        return sb.ToString();
    }

    /// <summary>An idle connection for <paramref name="key"/>, or null when there is none (the caller connects).</summary>
    public async Task<PostgresBackend?> TakeAsync(string key)
    {
        while (true)
        {
            PostgresBackend? candidate = null;
            lock (_idle)
            {
                if (_disposed || !_idle.TryGetValue(key, out var list))
                {
                    return null;
                }
                while (list.Count > 0 && candidate is null)
                {
                    var b = list[^1];
                    list.RemoveAt(list.Count - 1);
                    if (Interlocked.CompareExchange(ref b.State, PostgresBackend.Taken, PostgresBackend.Idle) == PostgresBackend.Idle)
                    {
                        candidate = b;
                    }
                }
                if (candidate is null)
                {
                    return null;
                }
            }
            candidate.Reader.CancelPendingRead();
            var healthy = await candidate.Watch!;
            if (healthy && _time.GetUtcNow() - candidate.Created < _config.MaxLifetime)
            {
                return candidate;
            }
            await candidate.DisposeAsync();
        }
    }

    /// <summary>
    /// Resets a connection whose session ended cleanly and keeps it for the next session with the
    /// same key; closes it instead when the reset fails, the pool for the key is full or it is too old.
    /// Never throws.
    /// </summary>
    public async Task ReturnAsync(PostgresBackend backend, string key)
    {
        try
        {
            // A full key or an old connection is closed without the DISCARD ALL round trip.
            if (_disposed || IsFull(key) || _time.GetUtcNow() - backend.Created >= _config.MaxLifetime || !await ResetAsync(backend))
            {
                await backend.DisposeAsync();
                return;
            }
            backend.IdleSince = _time.GetUtcNow();
            Volatile.Write(ref backend.State, PostgresBackend.Idle);
            backend.Watch = WatchAsync(backend, key);
            bool kept;
            lock (_idle)
            {
                if (!_idle.TryGetValue(key, out var list))
                {
                    _idle[key] = list = [];
                }
                kept = !_disposed && list.Count < _config.MaxIdle;
                if (kept)
                {
                    list.Add(backend);
                }
            }
            if (!kept && Interlocked.CompareExchange(ref backend.State, PostgresBackend.Dead, PostgresBackend.Idle) == PostgresBackend.Idle)
            {
                await CloseWatchedAsync(backend);
            }
        }
        catch (Exception)
        {
            // Whatever went wrong, the connection is not reused; nothing waits on this task.
            await backend.DisposeAsync();
        }
    }

    /// <summary>DISCARD ALL, then expects CommandComplete and ReadyForQuery 'I' (notices, notifications and parameter changes tolerated).</summary>
    private static async Task<bool> ResetAsync(PostgresBackend backend)
    {
        using var timeout = new CancellationTokenSource(ResetTimeout);
        await backend.Stream.WriteAsync(DiscardAll, timeout.Token);
        await backend.Stream.FlushAsync(timeout.Token);
        var completed = false;
        while (true)
        {
            var message = await PgWire.ReadMessageAsync(backend.Reader, PostgresLimits.MaxStartupResponseLength, timeout.Token);
            if (message is null)
            {
                return false;
            }
            var frame = PgWire.Frame(message);
            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.CommandComplete:
                    completed = true;
                    break;
                case BackendMessageCode.ParameterStatus:
                    // RESET ALL reports the parameters it changed back: the next session is told these values.
                    backend.SetParameter(message);
                    break;
                case BackendMessageCode.NoticeResponse or BackendMessageCode.NotificationResponse:
                    break;
                case BackendMessageCode.ReadyForQuery:
                    return completed && ReadyForQuery.Read(frame) == TransactionStatus.Idle;
                default:
                    return false;
            }
        }
    }

    private async Task<bool> WatchAsync(PostgresBackend backend, string key)
    {
        bool healthy;
        try
        {
            var result = await backend.Reader.ReadAsync();
            healthy = result.IsCanceled && result.Buffer.IsEmpty && !result.IsCompleted;
            backend.Reader.AdvanceTo(result.Buffer.Start);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            healthy = false;
        }
        if (!healthy && Interlocked.CompareExchange(ref backend.State, PostgresBackend.Dead, PostgresBackend.Idle) == PostgresBackend.Idle)
        {
            // The server spoke or hung up while the connection was idle: it is not reusable.
            Remove(backend, key);
            await backend.DisposeAsync();
        }
        return healthy;
    }

    private void Remove(PostgresBackend backend, string key)
    {
        lock (_idle)
        {
            if (_idle.TryGetValue(key, out var list))
            {
                list.Remove(backend);
            }
        }
    }

    private async Task SweepAsync()
    {
        var now = _time.GetUtcNow();
        await CloseAsync(b => now - b.IdleSince >= _config.IdleTimeout || now - b.Created >= _config.MaxLifetime);
    }

    private async Task CloseAsync(Func<PostgresBackend, bool> which)
    {
        var closing = new List<PostgresBackend>();
        lock (_idle)
        {
            foreach (var (key, list) in _idle)
            {
                if (list.Count == 0)
                {
                    // Keys come from clients (application_name…): forget the ones with nothing kept.
                    _idle.Remove(key);
                    continue;
                }
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    var b = list[i];
                    var state = Volatile.Read(ref b.State);
                    if (state == PostgresBackend.Dead)
                    {
                        list.RemoveAt(i);
                    }
                    else if (state == PostgresBackend.Idle && which(b) && Interlocked.CompareExchange(ref b.State, PostgresBackend.Dead, PostgresBackend.Idle) == PostgresBackend.Idle)
                    {
                        list.RemoveAt(i);
                        closing.Add(b);
                    }
                }
            }
        }
        foreach (var b in closing)
        {
            await CloseWatchedAsync(b);
        }
    }

    /// <summary>Closes a connection this pool marked dead while its watch read was pending: ends the read first.</summary>
    private static async Task CloseWatchedAsync(PostgresBackend backend)
    {
        backend.Reader.CancelPendingRead();
        await backend.Watch!;
        await backend.DisposeAsync();
    }

    private bool IsFull(string key)
    {
        lock (_idle)
        {
            return (_idle.TryGetValue(key, out var list) ? list.Count : 0) >= _config.MaxIdle;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_idle)
        {
            _disposed = true;
        }
        await _sweep.DisposeAsync();
        await CloseAsync(static _ => true);
    }

    private static byte[] BuildDiscardAll()
    {
        var w = new ArrayBufferWriter<byte>(32);
        Query.Write(w, "DISCARD ALL");
        return w.WrittenSpan.ToArray();
    }
}
