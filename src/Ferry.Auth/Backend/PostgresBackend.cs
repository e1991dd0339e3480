using System.Runtime.CompilerServices;
using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ferry.Auth.Backend;

/// <summary>
/// <see cref="IBackend"/> on a PostgreSQL database, so that several auth servers share one state. Tables (created and
/// migrated by <see cref="OpenAsync"/>): <c>ferry_kv(key, value, revision, expires)</c> and
/// <c>ferry_events(revision, key, kind, value, time)</c>, as in <see cref="SqliteBackend"/>.
/// <para>
/// Every write runs in one transaction that first takes a transaction-scoped advisory lock, so writes from every auth
/// server are serialised and revisions become visible in the order they were numbered: a watcher that has read up to
/// revision N never later sees a smaller one commit (the sequence alone does not promise that across transactions).
/// Writes are few (users, roles, locks, tokens, requests), so one writer at a time is not a limit.
/// </para>
/// <para>
/// Watchers read <c>ferry_events</c> after their last revision; a listener connection (<c>LISTEN ferry_backend</c>,
/// notified in every write transaction) wakes them at once, and they also poll every second, so a dropped listener
/// delays changes by at most that long while it reconnects (logged, counted in
/// <c>ferry_background_task_failures_total{task="backend_listener"}</c>). Watching resumes from the revision a watcher reached: nothing is
/// missed across a reconnect while the events are kept (an hour, as with SQLite).
/// </para>
/// Expiry uses the auth server's clock, like the SQLite backend; servers sharing a backend need synchronised clocks.
/// </summary>
public sealed class PostgresBackend : IBackend
{
    /// <summary>Schema version this code writes; <see cref="OpenAsync"/> migrates older ones and refuses newer ones.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The advisory lock key that serialises writers (and migrations): "ferrybkd" as a 64-bit number.</summary>
    private const long WriteLockKey = 0x6665727279626B64;

    private const string Channel = "ferry_backend";

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan EventRetention = TimeSpan.FromHours(1);

    private readonly NpgsqlDataSource _source;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sweeper;
    private readonly Task _listener;
    private TaskCompletionSource _changed = NewSignal();
    private bool _disposed;

    private PostgresBackend(NpgsqlDataSource source, TimeProvider time, ILogger log)
    {
        _source = source;
        _time = time;
        _log = log;
        _sweeper = Task.Run(SweepLoopAsync);
        _listener = Task.Run(ListenLoopAsync);
    }

    /// <summary>
    /// Connects with <paramref name="connectionString"/> (Npgsql syntax: <c>Host=…;Database=…;Username=…;SSL Mode=VerifyFull;
    /// Root Certificate=…;SSL Certificate=…;SSL Key=…</c> or <c>Password=…</c>), creates or migrates the schema, and
    /// starts the sweeper and the listener.
    /// </summary>
    public static async Task<PostgresBackend> OpenAsync(string connectionString, TimeProvider? time = null, ILogger? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableTransportSecurity();
        PgCommand.ConfigureTimeouts(builder);
        var source = builder.Build();
        try
        {
            await MigrateAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new PostgresBackend(source, time ?? TimeProvider.System, log ?? FerryLogging.Factory.CreateLogger("Ferry.Auth.Backend"));
    }

    private static async Task MigrateAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({WriteLockKey})", ct).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS ferry_schema(version integer NOT NULL)", ct).ConfigureAwait(false);
        int version;
        await using (var cmd = new NpgsqlCommand("SELECT max(version) FROM ferry_schema", connection, tx))
        {
            version = await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false) is int v ? v : 0;
        }

        if (version > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"the PostgreSQL backend has schema version {version}, newer than this ferryd understands ({SchemaVersion}): upgrade ferryd before pointing it at this database");
        }

        if (version < 1)
        {
            await ExecuteAsync(connection, tx, """
                CREATE TABLE IF NOT EXISTS ferry_kv(
                    key text PRIMARY KEY COLLATE "C",
                    value bytea NOT NULL,
                    revision bigint NOT NULL,
                    expires bigint NULL);
                CREATE INDEX IF NOT EXISTS ferry_kv_expires ON ferry_kv(expires) WHERE expires IS NOT NULL;
                CREATE TABLE IF NOT EXISTS ferry_events(
                    revision bigserial PRIMARY KEY,
                    key text NOT NULL COLLATE "C",
                    kind integer NOT NULL,
                    value bytea NULL,
                    time bigint NOT NULL);
                CREATE INDEX IF NOT EXISTS ferry_events_time ON ferry_events(time);
                INSERT INTO ferry_schema(version) VALUES (1);
                """, ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask<BackendItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var cmd = _source.CreateCommand("SELECT key, value, revision, expires FROM ferry_kv WHERE key = $1 AND (expires IS NULL OR expires > $2)");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = NowMs() });
        return await PgCommand.ReadAsync(cmd, static async reader => await reader.ReadAsync().ConfigureAwait(false) ? ReadItem(reader) : null, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<BackendItem>> RangeAsync(string prefix, CancellationToken cancellationToken = default)
    {
        // left(key, n) = prefix keeps the comparison exact (no LIKE wildcards in keys to escape); COLLATE "C" orders by bytes.
        await using var cmd = _source.CreateCommand("""
            SELECT key, value, revision, expires FROM ferry_kv
            WHERE left(key, length($1)) = $1 AND (expires IS NULL OR expires > $2)
            ORDER BY key
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = NowMs() });
        return await PgCommand.ReadAsync(cmd, static async reader =>
        {
            var items = new List<BackendItem>();
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                items.Add(ReadItem(reader));
            }

            return (IReadOnlyList<BackendItem>)items;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> PutAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var revision = await WriteAsync(key, value, ttl, expectedRevision: null, cancellationToken).ConfigureAwait(false);
        return revision!.Value;
    }

    public ValueTask<long?> CompareAndSwapAsync(string key, long expectedRevision, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        WriteAsync(key, value, ttl, expectedRevision, cancellationToken);

    public async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var now = NowMs();
        var current = await KeyRevisionAsync(connection, tx, key, now, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            return false;
        }

        await DeleteRowAsync(connection, tx, key, cancellationToken).ConfigureAwait(false);
        await AppendEventAsync(connection, tx, key, BackendEventKind.Delete, null, now, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        Pulse();
        return true;
    }

    public async ValueTask<long> CurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _source.CreateCommand("SELECT COALESCE(max(revision), 0) FROM ferry_events");
        return (long)(await PgCommand.ScalarAsync(cmd, cancellationToken).ConfigureAwait(false))!;
    }

    public async IAsyncEnumerable<BackendEvent> WatchAsync(string prefix, long afterRevision = -1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        var last = afterRevision >= 0 ? afterRevision : await CurrentRevisionAsync(token).ConfigureAwait(false);
        await foreach (var e in BackendWatch.PollAsync(ReadEventsOrNoneAsync, () => Volatile.Read(ref _changed).Task, last, PollInterval, _time, token).ConfigureAwait(false))
        {
            yield return e;
        }

        async Task<List<BackendEvent>> ReadEventsOrNoneAsync(long after, CancellationToken ct)
        {
            try
            {
                return await ReadEventsAsync(prefix, after, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The backend is away: keep the position and try again; the caller sees the changes once it is back.
                AuthLog.BackendReadFailed(_log, e.Message);
                FerryMetrics.BackgroundFailure("backend_watch");
                return [];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _sweeper, _listener })
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancelled just above: the expected end.
            }
        }

        await _source.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Removes expired items now (every auth server does it every second). Returns how many.</summary>
    internal async ValueTask<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var now = NowMs();
        var expired = new List<string>();
        await using (var cmd = new NpgsqlCommand("DELETE FROM ferry_kv WHERE expires IS NOT NULL AND expires <= $1 RETURNING key", connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
            await PgCommand.ReadAsync(cmd, async reader =>
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    expired.Add(reader.GetString(0));
                }

                return expired.Count;
            }, cancellationToken).ConfigureAwait(false);
        }

        foreach (var key in expired)
        {
            await AppendEventAsync(connection, tx, key, BackendEventKind.Delete, null, now, cancellationToken).ConfigureAwait(false);
        }

        await using (var prune = new NpgsqlCommand("DELETE FROM ferry_events WHERE time < $1 AND revision < (SELECT max(revision) FROM ferry_events)", connection, tx))
        {
            prune.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now - (long)EventRetention.TotalMilliseconds });
            await PgCommand.NonQueryAsync(prune, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        if (expired.Count > 0)
        {
            Pulse();
        }

        return expired.Count;
    }

    /// <summary>Every live item, in key order: what <c>ferryd admin backend migrate</c> copies.</summary>
    internal ValueTask<IReadOnlyList<BackendItem>> AllAsync(CancellationToken cancellationToken) => RangeAsync("/", cancellationToken);

    private async ValueTask<long?> WriteAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, long? expectedRevision, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), "a lease must be positive");
        }

        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var now = NowMs();
        if (expectedRevision is { } expected)
        {
            var current = await KeyRevisionAsync(connection, tx, key, now, cancellationToken).ConfigureAwait(false) ?? 0;
            if (current != expected)
            {
                await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                return null;
            }
        }

        var bytes = value.ToArray();
        var revision = await AppendEventAsync(connection, tx, key, BackendEventKind.Put, bytes, now, cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO ferry_kv(key, value, revision, expires) VALUES($1, $2, $3, $4)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, revision = excluded.revision, expires = excluded.expires
            """, connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = bytes });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = revision });
            cmd.Parameters.Add(ttl is { } lease
                ? new NpgsqlParameter<long> { TypedValue = now + (long)lease.TotalMilliseconds }
                : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            await PgCommand.NonQueryAsync(cmd, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        Pulse();
        return revision;
    }

    /// <summary>A transaction holding the writers' advisory lock until it ends.</summary>
    private static async Task<NpgsqlTransaction> BeginWriteAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tx = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({WriteLockKey})", ct).ConfigureAwait(false);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<List<BackendEvent>> ReadEventsAsync(string prefix, long after, CancellationToken ct)
    {
        await using var cmd = _source.CreateCommand("""
            SELECT revision, key, kind, value FROM ferry_events
            WHERE revision > $1 AND left(key, length($2)) = $2
            ORDER BY revision LIMIT 1000
            """);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        return await PgCommand.ReadAsync(cmd, static async reader =>
        {
            var list = new List<BackendEvent>();
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                list.Add(new BackendEvent(
                    (BackendEventKind)reader.GetInt32(2),
                    reader.GetString(1),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
                    reader.GetInt64(0)));
            }

            return list;
        }, ct).ConfigureAwait(false);
    }

    private static async Task<long?> KeyRevisionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string key, long now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT revision FROM ferry_kv WHERE key = $1 AND (expires IS NULL OR expires > $2)", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        return await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false) is long r ? r : null;
    }

    private static async Task DeleteRowAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string key, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("DELETE FROM ferry_kv WHERE key = $1", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        await PgCommand.NonQueryAsync(cmd, ct).ConfigureAwait(false);
    }

    /// <summary>Appends the change and notifies listeners (delivered when the transaction commits). Returns its revision.</summary>
    private static async Task<long> AppendEventAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string key, BackendEventKind kind, byte[]? value, long now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            WITH e AS (INSERT INTO ferry_events(key, kind, value, time) VALUES($1, $2, $3, $4) RETURNING revision)
            SELECT revision, pg_notify('{Channel}', revision::text) FROM e
            """, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)kind });
        cmd.Parameters.Add(value is null
            ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea }
            : new NpgsqlParameter<byte[]> { TypedValue = value });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
        return (long)(await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false))!;
    }

    private async Task SweepLoopAsync()
    {
        using var timer = new PeriodicTimer(SweepInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    AuthLog.BackendSweepFailed(_log, e.Message);
                    FerryMetrics.BackgroundFailure("backend_sweep");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the sweeper stops with the backend.
        }
    }

    /// <summary>
    /// Holds one connection that LISTENs for changes by any auth server and wakes the watchers. When it drops, it
    /// reconnects after a jittered delay growing to 30 s; the watchers poll meanwhile.
    /// </summary>
    private async Task ListenLoopAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var first = true;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(_stopping.Token).ConfigureAwait(false);
                connection.Notification += (_, _) => Pulse();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await PgCommand.NonQueryAsync(listen, _stopping.Token).ConfigureAwait(false);
                }

                if (!first)
                {
                    AuthLog.BackendListenerReconnected(_log);
                }

                first = false;
                delay = TimeSpan.FromMilliseconds(250);
                Pulse(); // changes made while the listener was away
                while (true)
                {
                    await connection.WaitAsync(_stopping.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                AuthLog.BackendListenerFailed(_log, e.Message, delay.TotalSeconds);
                FerryMetrics.BackgroundFailure("backend_listener");
            }

            try
            {
                var jitter = TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(delay.TotalMilliseconds / 2) + 1));
                await Task.Delay(delay + jitter, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private static BackendItem ReadItem(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetFieldValue<byte[]>(1),
        reader.GetInt64(2),
        reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)));

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Pulse() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key[0] != '/')
        {
            throw new ArgumentException($"backend keys start with '/': \"{key}\"", nameof(key));
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await PgCommand.NonQueryAsync(cmd, ct).ConfigureAwait(false);
    }
}
