using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ferry.Auth.AuditPipeline;

/// <summary>
/// The audit store in a PostgreSQL table, shared by every auth server of a cluster (<c>auth.backend.type: postgres</c>).
/// <para>
/// <c>ferry_audit(seq, id, time_ticks, type, user_name, db_service, db_name, session_id, search_upper, event, hash)</c>:
/// <c>event</c> holds the event's canonical JSON (the bytes hashed, as in a segment record) and <c>hash</c> the chain
/// hash h_seq = SHA-256(h_(seq-1) || event). The other columns are copies of event fields for indexed search
/// (<c>search_upper</c>: the text fields <see cref="AuditQuery.Contains"/> looks at, upper-cased invariantly, so a
/// byte-wise <c>strpos</c> finds every event that the case-insensitive match finds); <see cref="AuditQuery.Matches"/>
/// still decides on the parsed event, so both stores answer a query with the same events.
/// <c>ferry_audit_chain</c> (one row) keeps the anchor (first kept seq, hash before it, events removed by retention) and
/// the head (last seq, its hash).
/// </para>
/// <para>
/// Appends are serialised across auth servers by a transaction-scoped advisory lock: read the head, drop the events
/// whose id is already stored (unique index on <c>id</c>: a batch shipped again after a crash stores nothing twice),
/// insert the rest with consecutive seq numbers and their hashes, move the head, commit. A trigger refuses UPDATE,
/// TRUNCATE and DELETE on <c>ferry_audit</c> except the DELETE of a retention transaction (which sets
/// <c>ferry.audit_retention</c> locally); a superuser can get past it, and <see cref="Verify"/> then names the first
/// edited, removed or reordered event.
/// </para>
/// </summary>
public sealed class PostgresAuditStore : IAuditStore
{
    /// <summary>Schema version of the audit tables (<c>ferry_audit_schema</c>, apart from the state backend's).</summary>
    public const int SchemaVersion = 1;

    /// <summary>The advisory lock key that serialises appends, retention and migration: "ferryaud" as a 64-bit number.</summary>
    private const long AppendLockKey = 0x6665727279617564;

    /// <summary>Most events removed by one retention pass (the next pass goes on).</summary>
    private const int MaxRetentionBatch = 100_000;

    /// <summary>Rows read per page by a search (matches are filtered in process, so pages may hold non-matches).</summary>
    private const int SearchPage = 1000;

    /// <summary>
    /// Longest one store call may take, connecting included (a search, an append, a retention pass): past it the call
    /// fails with a <see cref="TimeoutException"/> (an append is retried by its sender, which keeps the events).
    /// </summary>
    internal static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long an append or a retention pass waits for the append lock before it fails (and is retried).</summary>
    internal static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

    private readonly string _lockSettings;

    private const string Columns = "seq, id, time_ticks, type, user_name, db_service, db_name, session_id, search_upper, event, hash";

    private readonly NpgsqlDataSource _source;
    private readonly TimeSpan? _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private bool _disposed;

    private PostgresAuditStore(NpgsqlDataSource source, TimeSpan? retention, TimeProvider time, ILogger log, TimeSpan lockTimeout)
    {
        _source = source;
        _lockSettings = LockSettings(lockTimeout);
        _retention = retention;
        _time = time;
        _log = log;
    }

    public string Kind => "postgres";

    /// <summary>Events dropped as already stored since open.</summary>
    public long DuplicatesDropped => Interlocked.Read(ref _duplicates);

    private long _duplicates;

    /// <summary>Connects, creates or migrates the audit tables.</summary>
    public static PostgresAuditStore Open(string connectionString, TimeSpan? retention = null, TimeProvider? time = null, ILogger? log = null, TimeSpan? lockTimeout = null)
    {
        var source = CreateSource(connectionString);
        try
        {
            Migrate(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }

        return new PostgresAuditStore(source, retention, time ?? TimeProvider.System, log ?? FerryLogging.Factory.CreateLogger("Ferry.Auth.Audit"), lockTimeout ?? DefaultLockTimeout);
    }

    /// <summary>
    /// Verifies the audit table reached by <paramref name="connectionString"/> without creating or changing anything
    /// (<c>ferryd audit verify</c>); a database without the tables holds no events.
    /// </summary>
    public static AuditVerifyResult VerifyDatabase(string connectionString)
    {
        using var source = CreateSource(connectionString);
        using var connection = source.OpenConnection();
        using (var cmd = new NpgsqlCommand("SELECT to_regclass('ferry_audit') IS NOT NULL AND to_regclass('ferry_audit_chain') IS NOT NULL", connection))
        {
            if (cmd.ExecuteScalar() is not true)
            {
                return new AuditVerifyResult(true, 0, 0, null);
            }
        }

        return Verify(connection);
    }

    private static NpgsqlDataSource CreateSource(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableTransportSecurity();
        PgCommand.ConfigureTimeouts(builder);
        return builder.Build();
    }

    private static void Migrate(NpgsqlDataSource source)
    {
        using var connection = source.OpenConnection();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, LockSettings(DefaultLockTimeout));
        Execute(connection, tx, $"SELECT pg_advisory_xact_lock({AppendLockKey})");
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS ferry_audit_schema(version integer NOT NULL)");
        int version;
        using (var cmd = new NpgsqlCommand("SELECT max(version) FROM ferry_audit_schema", connection, tx))
        {
            version = cmd.ExecuteScalar() is int v ? v : 0;
        }

        if (version > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"the PostgreSQL audit tables have schema version {version}, newer than this ferryd understands ({SchemaVersion}): upgrade ferryd before pointing it at this database");
        }

        if (version < 1)
        {
            Execute(connection, tx, """
                CREATE TABLE IF NOT EXISTS ferry_audit(
                    seq bigint PRIMARY KEY,
                    id text NOT NULL COLLATE "C",
                    time_ticks bigint NOT NULL,
                    type text NOT NULL COLLATE "C",
                    user_name text NULL COLLATE "C",
                    db_service text NULL COLLATE "C",
                    db_name text NULL COLLATE "C",
                    session_id text NULL COLLATE "C",
                    search_upper text NULL COLLATE "C",
                    event bytea NOT NULL,
                    hash bytea NOT NULL);
                CREATE UNIQUE INDEX IF NOT EXISTS ferry_audit_id ON ferry_audit(id);
                CREATE INDEX IF NOT EXISTS ferry_audit_time ON ferry_audit(time_ticks, seq);
                CREATE INDEX IF NOT EXISTS ferry_audit_user ON ferry_audit(user_name, time_ticks);
                CREATE INDEX IF NOT EXISTS ferry_audit_db_service ON ferry_audit(db_service, time_ticks);
                CREATE INDEX IF NOT EXISTS ferry_audit_db_name ON ferry_audit(db_name, time_ticks);
                CREATE INDEX IF NOT EXISTS ferry_audit_session ON ferry_audit(session_id, time_ticks);
                CREATE INDEX IF NOT EXISTS ferry_audit_type ON ferry_audit(type, time_ticks);
                CREATE TABLE IF NOT EXISTS ferry_audit_chain(
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    anchor_seq bigint NOT NULL,
                    anchor_hash bytea NOT NULL,
                    dropped_events bigint NOT NULL,
                    head_seq bigint NOT NULL,
                    head_hash bytea NOT NULL);
                INSERT INTO ferry_audit_chain VALUES (true, 1, '\x0000000000000000000000000000000000000000000000000000000000000000', 0, 0,
                    '\x0000000000000000000000000000000000000000000000000000000000000000') ON CONFLICT DO NOTHING;
                CREATE OR REPLACE FUNCTION ferry_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND current_setting('ferry.audit_retention', true) = 'on' THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION 'ferry_audit is append-only: % refused (only retention removes events)', TG_OP;
                END $$;
                DROP TRIGGER IF EXISTS ferry_audit_append_only ON ferry_audit;
                CREATE TRIGGER ferry_audit_append_only BEFORE UPDATE OR DELETE ON ferry_audit
                    FOR EACH ROW EXECUTE FUNCTION ferry_audit_append_only();
                DROP TRIGGER IF EXISTS ferry_audit_no_truncate ON ferry_audit;
                CREATE TRIGGER ferry_audit_no_truncate BEFORE TRUNCATE ON ferry_audit
                    FOR EACH STATEMENT EXECUTE FUNCTION ferry_audit_append_only();
                INSERT INTO ferry_audit_schema(version) VALUES (1);
                """);
        }

        tx.Commit();
    }

    /// <summary>Blocking form (tools, tests); the server calls <see cref="AppendAsync"/>.</summary>
    public int Append(IReadOnlyList<AuditEvent> events) => AppendAsync(events, CancellationToken.None).GetAwaiter().GetResult();

    public async Task<int> AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.Type))
            {
                throw new ArgumentException("every audit event needs an id and a type", nameof(events));
            }
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (events.Count == 0)
        {
            return 0;
        }

        using var deadline = Deadline(ct);
        try
        {
            await using var connection = await _source.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            await using var tx = await BeginLockedAsync(connection, deadline.Token).ConfigureAwait(false);
            var stored = await AppendLockedAsync(connection, tx, events, deadline.Token).ConfigureAwait(false);
            await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return stored;
        }
        catch (Exception e) when (TimedOut(e, deadline, ct) is { } failure)
        {
            FerryMetrics.BackgroundFailure("audit_append");
            AuthLog.AuditAppendFailed(_log, events.Count, failure.GetType().Name, failure.Message);
            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary>A token cancelled by <paramref name="ct"/> or after <see cref="OperationTimeout"/>.</summary>
    private static CancellationTokenSource Deadline(CancellationToken ct)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(OperationTimeout);
        return deadline;
    }

    /// <summary>
    /// For a failed store call: null when the caller cancelled (not a failure); a <see cref="TimeoutException"/> naming
    /// the bound when the deadline passed; the error itself for a PostgreSQL or state error; null for anything else.
    /// </summary>
    private static Exception? TimedOut(Exception e, CancellationTokenSource deadline, CancellationToken ct) =>
        ct.IsCancellationRequested ? null
        : deadline.IsCancellationRequested ? new TimeoutException($"PostgreSQL did not answer within {OperationTimeout.TotalSeconds:0} s (audit store)", e)
        : e is NpgsqlException or TimeoutException or InvalidOperationException ? e
        : null;

    /// <summary>
    /// Set in every transaction that takes the append lock: waiting for it gives up after <c>lock_timeout</c> (instead
    /// of queueing behind a stuck holder for ever), and a transaction left idle by a client that died or hangs is ended
    /// by the server after <c>idle_in_transaction_session_timeout</c>, which releases the lock.
    /// </summary>
    private static string LockSettings(TimeSpan lockTimeout) =>
        string.Create(CultureInfo.InvariantCulture, $"SET LOCAL lock_timeout = '{(long)lockTimeout.TotalMilliseconds}ms'; SET LOCAL idle_in_transaction_session_timeout = '60s'");

    /// <summary>Opens a transaction holding the append lock (bounded by <see cref="LockSettings"/>).</summary>
    private async Task<NpgsqlTransaction> BeginLockedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tx = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, tx, _lockSettings, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({AppendLockKey})", ct).ConfigureAwait(false);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Appends under the advisory lock held by <paramref name="tx"/>.</summary>
    private async Task<int> AppendLockedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<AuditEvent> events, CancellationToken ct)
    {
        var existing = await ExistingIdsAsync(connection, tx, events, ct).ConfigureAwait(false);
        var (seq, prev) = await ReadHeadAsync(connection, tx, ct).ConfigureAwait(false);
        var fresh = new List<AuditEvent>(events.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (existing.Contains(e.Id) || !seen.Add(e.Id))
            {
                Interlocked.Increment(ref _duplicates);
                continue;
            }

            fresh.Add(e);
        }

        if (fresh.Count == 0)
        {
            return 0;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var batch = new NpgsqlBatch(connection, tx);
        var hash = prev;
        foreach (var original in fresh)
        {
            seq++;
            var json = AuditChain.CanonicalJson(original);
            // An event past the record limit was stored shrunk: its columns come from what was stored.
            var e = json.Length > 1_000_000 ? AuditChain.Parse(json) : original;
            var next = new byte[AuditChain.HashSize];
            AuditChain.Next(sha, hash, json, next);
            hash = next;
            var insert = new NpgsqlBatchCommand($"INSERT INTO ferry_audit({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
            insert.Parameters.Add(Text(e.Id));
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = e.Time.UtcTicks });
            insert.Parameters.Add(Text(e.Type));
            insert.Parameters.Add(Text(e.User));
            insert.Parameters.Add(Text(e.DbService));
            insert.Parameters.Add(Text(e.DbName));
            insert.Parameters.Add(Text(e.SessionId));
            insert.Parameters.Add(Text(SearchText(e)));
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = json });
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = next });
            batch.BatchCommands.Add(insert);
        }

        var head = new NpgsqlBatchCommand("UPDATE ferry_audit_chain SET head_seq = $1, head_hash = $2");
        head.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
        head.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
        batch.BatchCommands.Add(head);
        await PgCommand.NonQueryAsync(batch, ct).ConfigureAwait(false);
        return fresh.Count;
    }

    private static async Task<HashSet<string>> ExistingIdsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<AuditEvent> events, CancellationToken ct)
    {
        var existing = new HashSet<string>(StringComparer.Ordinal);
        const int Chunk = 1000;
        for (var start = 0; start < events.Count; start += Chunk)
        {
            var count = Math.Min(Chunk, events.Count - start);
            var sql = new StringBuilder("SELECT id FROM ferry_audit WHERE id IN (");
            await using var cmd = new NpgsqlCommand { Connection = connection, Transaction = tx };
            for (var i = 0; i < count; i++)
            {
                sql.Append(i == 0 ? "$" : ", $").Append((i + 1).ToString(CultureInfo.InvariantCulture));
                cmd.Parameters.Add(Text(events[start + i].Id));
            }

            cmd.CommandText = sql.Append(')').ToString();
            await PgCommand.ReadAsync(cmd, async reader =>
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    existing.Add(reader.GetString(0));
                }

                return existing.Count;
            }, ct).ConfigureAwait(false);
        }

        return existing;
    }

    private static async Task<(long Seq, byte[] Hash)> ReadHeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT head_seq, head_hash FROM ferry_audit_chain", connection, tx);
        return await PgCommand.ReadAsync(cmd, static async reader =>
        {
            if (!await reader.ReadAsync().ConfigureAwait(false))
            {
                throw new InvalidOperationException("ferry_audit_chain has no row: the audit tables were damaged (restore them or verify with `ferryd audit verify`)");
            }

            return (reader.GetInt64(0), (byte[])reader[1]);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Blocking form (tools, tests); the server calls <see cref="SearchAsync"/>.</summary>
    public IReadOnlyList<AuditEvent> Search(AuditQuery query) => SearchAsync(query, CancellationToken.None).GetAwaiter().GetResult();

    public async Task<IReadOnlyList<AuditEvent>> SearchAsync(AuditQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var deadline = Deadline(ct);
        try
        {
            return await SearchCoreAsync(query, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (TimedOut(e, deadline, ct) is { } failure)
        {
            AuthLog.AuditSearchFailed(_log, failure.GetType().Name, failure.Message);
            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
    }

    private async Task<IReadOnlyList<AuditEvent>> SearchCoreAsync(AuditQuery query, CancellationToken ct)
    {
        var results = new List<AuditEvent>();
        long afterTicks = long.MinValue;
        long afterSeq = long.MinValue;
        await using var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        while (true)
        {
            await using var cmd = new NpgsqlCommand { Connection = connection };
            var where = new StringBuilder("(time_ticks, seq) > ($1, $2)");
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterTicks });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq });
            void Filter(string condition, NpgsqlParameter parameter)
            {
                cmd.Parameters.Add(parameter);
                where.Append(" AND ").Append(condition.Replace("@", "$" + cmd.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            }

            if (query.Since is { } since)
            {
                Filter("time_ticks >= @", new NpgsqlParameter<long> { TypedValue = since.UtcTicks });
            }

            if (query.Until is { } until)
            {
                Filter("time_ticks < @", new NpgsqlParameter<long> { TypedValue = until.UtcTicks });
            }

            if (query.User is not null)
            {
                Filter("user_name = @", Text(query.User));
            }

            if (query.Type is not null)
            {
                Filter("type = @", Text(query.Type));
            }

            if (query.SessionId is not null)
            {
                Filter("session_id = @", Text(query.SessionId));
            }

            if (query.Database is not null)
            {
                Filter("(db_service = @ OR db_name = @)", Text(query.Database));
            }

            if (query.Contains is { Length: > 0 } needle)
            {
                Filter("strpos(search_upper, @) > 0", Text(needle.ToUpperInvariant()));
            }

            cmd.CommandText = $"SELECT time_ticks, seq, event FROM ferry_audit WHERE {where} ORDER BY time_ticks, seq LIMIT {SearchPage}";
            var rows = 0;
            var full = await PgCommand.ReadAsync(cmd, async reader =>
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    rows++;
                    afterTicks = reader.GetInt64(0);
                    afterSeq = reader.GetInt64(1);
                    var e = AuditChain.Parse((byte[])reader[2]);
                    if (query.Matches(e))
                    {
                        results.Add(e);
                        if (query.Limit > 0 && results.Count >= query.Limit)
                        {
                            return true;
                        }
                    }
                }

                return false;
            }, ct).ConfigureAwait(false);
            if (full)
            {
                return results;
            }

            if (rows < SearchPage)
            {
                return results;
            }
        }
    }

    /// <summary>
    /// Retention: removes the oldest events (a prefix of the chain, so what is kept stays contiguous) whose time is
    /// before now - retention, records the anchor (first kept seq, hash of the last removed event) in the same
    /// transaction, and appends an <c>audit.retention</c> event saying what went. Serialised with appends.
    /// </summary>
    public void Maintain() => MaintainAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async Task MaintainAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_retention is not { } retention)
        {
            return;
        }

        using var deadline = Deadline(ct);
        try
        {
            await RetainAsync(retention, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"PostgreSQL did not answer within {OperationTimeout.TotalSeconds:0} s (audit retention)", e);
        }
    }

    private async Task RetainAsync(TimeSpan retention, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var cutoff = (now - retention).UtcTicks;
        await using var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await BeginLockedAsync(connection, ct).ConfigureAwait(false);
        long anchor;
        await using (var cmd = new NpgsqlCommand("SELECT anchor_seq FROM ferry_audit_chain", connection, tx))
        {
            anchor = (long)(await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false))!;
        }

        // The first event to keep: the first one (from the anchor on) that is recent enough, or the end.
        long firstKept;
        await using (var cmd = new NpgsqlCommand("""
            SELECT COALESCE((SELECT seq FROM ferry_audit WHERE seq >= $1 AND time_ticks >= $2 ORDER BY seq LIMIT 1),
                            (SELECT head_seq + 1 FROM ferry_audit_chain))
            """, connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = anchor });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = cutoff });
            firstKept = Math.Min((long)(await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false))!, anchor + MaxRetentionBatch);
        }

        if (firstKept <= anchor)
        {
            await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }

        byte[] cutHash;
        await using (var cmd = new NpgsqlCommand("SELECT hash FROM ferry_audit WHERE seq = $1", connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstKept - 1 });
            cutHash = await PgCommand.ScalarAsync(cmd, ct).ConfigureAwait(false) as byte[]
                ?? throw new InvalidOperationException($"audit event seq {firstKept - 1} is missing: retention stops; run `ferryd audit verify`");
        }

        await ExecuteAsync(connection, tx, "SELECT set_config('ferry.audit_retention', 'on', true)", ct).ConfigureAwait(false);
        int removed;
        await using (var cmd = new NpgsqlCommand("DELETE FROM ferry_audit WHERE seq < $1", connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstKept });
            removed = await PgCommand.NonQueryAsync(cmd, ct).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, tx, "SELECT set_config('ferry.audit_retention', 'off', true)", ct).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand("UPDATE ferry_audit_chain SET anchor_seq = $1, anchor_hash = $2, dropped_events = dropped_events + $3", connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = firstKept });
            cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = cutHash });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = removed });
            await PgCommand.NonQueryAsync(cmd, ct).ConfigureAwait(false);
        }

        var note = AuditEventKinds.AuditRetention.NewEvent(now);
        note.Details = new Dictionary<string, string>
        {
            ["seq"] = $"{anchor}-{firstKept - 1}",
            ["events"] = removed.ToString(CultureInfo.InvariantCulture),
            ["anchor_seq"] = firstKept.ToString(CultureInfo.InvariantCulture),
            ["anchor_hash"] = Convert.ToHexStringLower(cutHash),
        };
        await AppendLockedAsync(connection, tx, [note], ct).ConfigureAwait(false);
        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        AuthLog.AuditRetentionApplied(_log, removed, firstKept);
    }

    public AuditVerifyResult Verify()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _source.OpenConnection();
        return Verify(connection);
    }

    /// <summary>
    /// Walks the table in seq order from the anchor: seq numbers contiguous (a gap is a deleted event), every hash
    /// recomputed from the previous one and the stored JSON (an edited event or a moved one breaks it), the search
    /// columns equal to the event's fields (an edit of a column alone would hide an event from searches), and the last
    /// event equal to the recorded head (events removed from the end). Reads in one repeatable-read snapshot.
    /// </summary>
    private static AuditVerifyResult Verify(NpgsqlConnection connection)
    {
        using var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        long anchor, head;
        byte[] prev, headHash;
        using (var cmd = new NpgsqlCommand("SELECT anchor_seq, anchor_hash, head_seq, head_hash FROM ferry_audit_chain", connection, tx))
        using (var reader = cmd.ExecuteReader())
        {
            if (!reader.Read())
            {
                return Broken(0, new AuditChainBreak(-1, 0, null, "ferry_audit_chain has no row: the anchor and head of the chain were deleted"));
            }

            anchor = reader.GetInt64(0);
            prev = (byte[])reader[1];
            head = reader.GetInt64(2);
            headHash = (byte[])reader[3];
        }

        var expected = anchor;
        long events = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var computed = new byte[AuditChain.HashSize];
        using (var cmd = new NpgsqlCommand($"SELECT {Columns} FROM ferry_audit ORDER BY seq", connection, tx))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var seq = reader.GetInt64(0);
                var id = reader.GetString(1);
                if (seq < anchor)
                {
                    return Broken(events, At(seq, id, $"event is before the retention anchor (seq {anchor}): it was inserted by hand"));
                }

                if (seq != expected)
                {
                    return Broken(events, At(expected, null, $"event seq {expected} is missing (next present is {seq}): events were deleted"));
                }

                var json = (byte[])reader[9];
                AuditChain.Next(sha, prev, json, computed);
                if (!computed.AsSpan().SequenceEqual((byte[])reader[10]))
                {
                    return Broken(events, At(seq, id, "chain hash mismatch: this event was edited, or an event before it was deleted or moved"));
                }

                AuditEvent e;
                try
                {
                    e = AuditChain.Parse(json);
                }
                catch (System.Text.Json.JsonException ex)
                {
                    return Broken(events, At(seq, id, $"event JSON does not parse: {ex.Message}"));
                }

                if (ColumnsDiffer(reader, e) is { } column)
                {
                    return Broken(events, At(seq, id, $"column {column} does not match the hashed event: the row was edited"));
                }

                computed.CopyTo(prev, 0);
                expected++;
                events++;
            }
        }

        if (expected - 1 != head || !prev.AsSpan().SequenceEqual(headHash))
        {
            return Broken(events, At(expected, null, expected - 1 < head
                ? $"the chain ends at seq {expected - 1} but the head recorded seq {head}: events were removed from the end"
                : $"the chain ends at seq {expected - 1} with a different hash than the head recorded (seq {head}): the head or the last events were rewritten"));
        }

        tx.Commit();
        return new AuditVerifyResult(true, 0, events, null);
    }

    private static string? ColumnsDiffer(NpgsqlDataReader reader, AuditEvent e)
    {
        string? Read(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        if (Read(1) != Clean(e.Id))
        {
            return "id";
        }

        if (reader.GetInt64(2) != e.Time.UtcTicks)
        {
            return "time_ticks";
        }

        return Read(3) != Clean(e.Type) ? "type"
            : Read(4) != Clean(e.User) ? "user_name"
            : Read(5) != Clean(e.DbService) ? "db_service"
            : Read(6) != Clean(e.DbName) ? "db_name"
            : Read(7) != Clean(e.SessionId) ? "session_id"
            : Read(8) != Clean(SearchText(e)) ? "search_upper"
            : null;
    }

    private static AuditChainBreak At(long seq, string? id, string reason) => new(0, 0, id, reason) { Sequence = seq };

    private static AuditVerifyResult Broken(long events, AuditChainBreak br) => new(false, 0, events, br);

    /// <summary>The text fields <see cref="AuditQuery.Contains"/> looks at, one per line, upper-cased invariantly.</summary>
    internal static string? SearchText(AuditEvent e)
    {
        var sb = new StringBuilder();
        void Add(string? s)
        {
            if (!string.IsNullOrEmpty(s))
            {
                sb.Append(s).Append('\n');
            }
        }

        Add(e.Query);
        Add(e.StatementName);
        Add(e.Error);
        if (e.AccessRequestIds is not null)
        {
            foreach (var id in e.AccessRequestIds)
            {
                Add(id);
            }
        }

        if (e.Details is not null)
        {
            foreach (var kv in e.Details)
            {
                Add(kv.Value);
            }
        }

        return sb.Length == 0 ? null : sb.ToString().ToUpperInvariant();
    }

    /// <summary>PostgreSQL text cannot hold NUL: it is stored (and searched) as U+FFFD; the event JSON keeps the original.</summary>
    private static string? Clean(string? s) => s is null || !s.Contains('\0', StringComparison.Ordinal) ? s : s.Replace('\0', '\uFFFD');

    private static NpgsqlParameter Text(string? value) =>
        value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter<string> { TypedValue = Clean(value) };

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.ExecuteNonQuery();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await PgCommand.NonQueryAsync(cmd, ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _source.Dispose();
    }
}
