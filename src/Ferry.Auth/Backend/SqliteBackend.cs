using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Ferry.Auth.Backend;

/// <summary>
/// <see cref="IBackend"/> on one SQLite file in WAL mode. Tables: <c>kv(key, value, revision, expires)</c> and
/// <c>events(revision, key, kind, value, time)</c>; every mutation writes both in one transaction, so a watcher
/// in any process (e.g. the server while <c>ferryd admin locks add</c> runs) sees it by polling <c>events</c>.
/// In-process writes also wake watchers at once. A sweeper removes expired items every second (emitting deletes)
/// and prunes events older than an hour.
/// </summary>
public sealed class SqliteBackend : IBackend
{
    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "ferry.db";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sweeper;
    private TaskCompletionSource _changed = NewSignal();
    private bool _disposed;

    private SqliteBackend(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        _sweeper = Task.Run(SweepLoopAsync);
    }

    /// <summary>Path of the database file.</summary>
    public string? Path { get; private init; }

    /// <summary>Opens (creating if needed) <c>ferry.db</c> in <paramref name="dataDir"/>.</summary>
    public static SqliteBackend Open(string dataDir, TimeProvider? time = null)
    {
        Ferry.Text.OwnerOnlyFiles.CreateDirectory(dataDir);
        var path = System.IO.Path.Combine(dataDir, FileName);
        SqliteProvider.EnsureInitialized();
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Execute(connection, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS kv(
                key TEXT PRIMARY KEY NOT NULL,
                value BLOB NOT NULL,
                revision INTEGER NOT NULL,
                expires INTEGER NULL);
            CREATE TABLE IF NOT EXISTS events(
                revision INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT NOT NULL,
                kind INTEGER NOT NULL,
                value BLOB NULL,
                time INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL;
            """);
        return new SqliteBackend(connection, time ?? TimeProvider.System) { Path = path };
    }

    public async ValueTask<BackendItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cmd = Command("SELECT key, value, revision, expires FROM kv WHERE key = $key AND (expires IS NULL OR expires > $now)");
            cmd.Parameters.AddWithValue("$key", key);
            cmd.Parameters.AddWithValue("$now", NowMs());
            using var reader = cmd.ExecuteReader();
            return reader.Read() ? ReadItem(reader) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<IReadOnlyList<BackendItem>> RangeAsync(string prefix, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cmd = Command("""
                SELECT key, value, revision, expires FROM kv
                WHERE substr(key, 1, length($prefix)) = $prefix AND (expires IS NULL OR expires > $now)
                ORDER BY key
                """);
            cmd.Parameters.AddWithValue("$prefix", prefix);
            cmd.Parameters.AddWithValue("$now", NowMs());
            using var reader = cmd.ExecuteReader();
            var items = new List<BackendItem>();
            while (reader.Read())
            {
                items.Add(ReadItem(reader));
            }

            return items;
        }
        finally
        {
            _gate.Release();
        }
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
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool deleted;
        try
        {
            using var tx = _connection.BeginTransaction();
            var now = NowMs();
            var current = CurrentRevision(key, now, tx);
            deleted = current is not null;
            if (deleted)
            {
                DeleteRow(key, tx);
                AppendEvent(key, BackendEventKind.Delete, null, now, tx);
            }

            tx.Commit();
        }
        finally
        {
            _gate.Release();
        }

        if (deleted)
        {
            Pulse();
        }

        return deleted;
    }

    public ValueTask<long> CurrentRevisionAsync(CancellationToken cancellationToken = default) => LastRevisionAsync(cancellationToken);

    public async IAsyncEnumerable<BackendEvent> WatchAsync(string prefix, long afterRevision = -1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        var last = afterRevision >= 0 ? afterRevision : await LastRevisionAsync(token).ConfigureAwait(false);
        await foreach (var e in BackendWatch.PollAsync(
            async (after, ct) => await ReadEventsAsync(prefix, after, ct).ConfigureAwait(false),
            () => Volatile.Read(ref _changed).Task, last, PollInterval, _time, token).ConfigureAwait(false))
        {
            yield return e;
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
        try
        {
            await _sweeper.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The sweeper was cancelled just above: the expected end.
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _connection.Dispose();
        }
        finally
        {
            _gate.Release();
        }

        _stopping.Dispose();
        _gate.Dispose();
    }

    /// <summary>Removes expired items now (normally done every second). Returns how many.</summary>
    internal async ValueTask<int> SweepAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        int removed = 0;
        try
        {
            using var tx = _connection.BeginTransaction();
            var now = NowMs();
            var expired = new List<string>();
            using (var cmd = Command("SELECT key FROM kv WHERE expires IS NOT NULL AND expires <= $now", tx))
            {
                cmd.Parameters.AddWithValue("$now", now);
                using var reader = cmd.ExecuteReader();
                while (reader.Read())
                {
                    expired.Add(reader.GetString(0));
                }
            }

            foreach (var key in expired)
            {
                DeleteRow(key, tx);
                AppendEvent(key, BackendEventKind.Delete, null, now, tx);
            }

            using (var prune = Command("DELETE FROM events WHERE time < $cutoff AND revision < (SELECT MAX(revision) FROM events)", tx))
            {
                prune.Parameters.AddWithValue("$cutoff", now - (long)TimeSpan.FromHours(1).TotalMilliseconds);
                prune.ExecuteNonQuery();
            }

            tx.Commit();
            removed = expired.Count;
        }
        finally
        {
            _gate.Release();
        }

        if (removed > 0)
        {
            Pulse();
        }

        return removed;
    }

    private async ValueTask<long?> WriteAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, long? expectedRevision, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), "a lease must be positive");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        long revision;
        try
        {
            using var tx = _connection.BeginTransaction();
            var now = NowMs();
            if (expectedRevision is { } expected)
            {
                var current = CurrentRevision(key, now, tx) ?? 0;
                if (current != expected)
                {
                    return null;
                }
            }

            var bytes = value.ToArray();
            revision = AppendEvent(key, BackendEventKind.Put, bytes, now, tx);
            using var cmd = Command("""
                INSERT INTO kv(key, value, revision, expires) VALUES($key, $value, $rev, $expires)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, revision = excluded.revision, expires = excluded.expires
                """, tx);
            cmd.Parameters.AddWithValue("$key", key);
            cmd.Parameters.AddWithValue("$value", bytes);
            cmd.Parameters.AddWithValue("$rev", revision);
            cmd.Parameters.AddWithValue("$expires", ttl is { } lease ? now + (long)lease.TotalMilliseconds : DBNull.Value);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
        finally
        {
            _gate.Release();
        }

        Pulse();
        return revision;
    }

    private async ValueTask<long> LastRevisionAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cmd = Command("SELECT COALESCE(MAX(revision), 0) FROM events");
            return (long)cmd.ExecuteScalar()!;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<List<BackendEvent>> ReadEventsAsync(string prefix, long after, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cmd = Command("""
                SELECT revision, key, kind, value FROM events
                WHERE revision > $after AND substr(key, 1, length($prefix)) = $prefix
                ORDER BY revision LIMIT 1000
                """);
            cmd.Parameters.AddWithValue("$after", after);
            cmd.Parameters.AddWithValue("$prefix", prefix);
            using var reader = cmd.ExecuteReader();
            var list = new List<BackendEvent>();
            while (reader.Read())
            {
                list.Add(new BackendEvent(
                    (BackendEventKind)reader.GetInt32(2),
                    reader.GetString(1),
                    reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3),
                    reader.GetInt64(0)));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
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
                catch (SqliteException)
                {
                    // Busy with another process: try again on the next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the sweeper stops with the backend.
        }
    }

    private long? CurrentRevision(string key, long now, SqliteTransaction tx)
    {
        using var cmd = Command("SELECT revision FROM kv WHERE key = $key AND (expires IS NULL OR expires > $now)", tx);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$now", now);
        return cmd.ExecuteScalar() is long r ? r : null;
    }

    private void DeleteRow(string key, SqliteTransaction tx)
    {
        using var cmd = Command("DELETE FROM kv WHERE key = $key", tx);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.ExecuteNonQuery();
    }

    private long AppendEvent(string key, BackendEventKind kind, byte[]? value, long now, SqliteTransaction tx)
    {
        using var cmd = Command("INSERT INTO events(key, kind, value, time) VALUES($key, $kind, $value, $time) RETURNING revision", tx);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$kind", (int)kind);
        cmd.Parameters.AddWithValue("$value", (object?)value ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$time", now);
        return (long)cmd.ExecuteScalar()!;
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        ObjectDisposedException.ThrowIf(_connection.State != System.Data.ConnectionState.Open, this);
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static BackendItem ReadItem(SqliteDataReader reader) => new(
        reader.GetString(0),
        (byte[])reader.GetValue(1),
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

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
