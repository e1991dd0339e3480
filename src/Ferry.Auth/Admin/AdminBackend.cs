using System.CommandLine;
using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
using Ferry.Auth.Backend;
using Ferry.Config;

namespace Ferry.Auth.Admin;

/// <summary><c>ferryd admin backend migrate --from sqlite --config ferry.yaml</c>: copies a cluster's state, CA keys and audit history to its PostgreSQL backend.</summary>
internal static class AdminBackend
{
    public static Command Create(AdminOptions context)
    {
        var backend = new Command("backend", "The auth service's state store (SQLite in the data directory, or PostgreSQL)");
        var from = new Option<string>("--from") { Description = "Where to copy from: sqlite (ferry.db in the data directory)", Required = true };
        var migrate = new Command("migrate", "Copy every item (users, roles, tokens, locks, hosts, requests…) and the CA keys from the data directory's SQLite file into the PostgreSQL backend of --config (refuses a backend that holds other items), then the audit history (data_dir/audit) into the PostgreSQL audit table unless auth.audit_store is segments. Running it again copies nothing twice and finishes an interrupted audit copy. Stop ferryd first.") { from };
        migrate.SetAction(async (r, ct) =>
        {
            var output = r.InvocationConfiguration.Output;
            var error = r.InvocationConfiguration.Error;
            if (r.GetValue(from) != "sqlite")
            {
                await error.WriteLineAsync("error: --from must be sqlite (the embedded backend)").ConfigureAwait(false);
                return 1;
            }
            if (context.Resolve(r, error) is not { } target)
            {
                return 1;
            }
            if (target.Backend.Kind != BackendKind.Postgres)
            {
                await error.WriteLineAsync("error: the configuration (--config) must name a postgres backend (auth.backend.type: postgres) to migrate to").ConfigureAwait(false);
                return 1;
            }
            var file = Path.Combine(target.DataDir, SqliteBackend.FileName);
            if (!File.Exists(file))
            {
                await error.WriteLineAsync($"error: there is no {SqliteBackend.FileName} in {target.DataDir} to migrate").ConfigureAwait(false);
                return 1;
            }
            try
            {
                // The source chain is checked before anything is copied: a broken one is refused with nothing changed.
                var auditDir = Path.Combine(target.DataDir, "audit");
                if (target.AuditStore == AuditStoreKind.Postgres)
                {
                    VerifyAuditSource(auditDir);
                }
                if (await MigrateAsync(target, ct).ConfigureAwait(false) is { } state)
                {
                    await output.WriteLineAsync($"copied {state.Copied} items ({state.Leased} with a lease, copied with the time they had left) from {file} to the PostgreSQL backend").ConfigureAwait(false);
                    await output.WriteLineAsync($"copied the CA keys ({state.CaKeys} keys of the user, host and db-client CAs) from {Path.Combine(target.DataDir, "ca")}, private keys sealed with the auth.ca_key_encryption key").ConfigureAwait(false);
                }
                else
                {
                    await output.WriteLineAsync("the state and CA keys were migrated by an earlier run: skipped").ConfigureAwait(false);
                }
                if (target.AuditStore != AuditStoreKind.Postgres)
                {
                    await output.WriteLineAsync($"audit history: left in {auditDir} (auth.audit_store: segments)").ConfigureAwait(false);
                    return 0;
                }
                var (events, stored) = await MigrateAuditAsync(auditDir, target.Backend.ConnString!, ct).ConfigureAwait(false);
                await output.WriteLineAsync($"audit history: copied {stored} of {events} events from {auditDir} to the PostgreSQL table ferry_audit ({events - stored} were there already); check it with `ferryd audit verify --config`").ConfigureAwait(false);
                return 0;
            }
            catch (InvalidOperationException e)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            }
            catch (Npgsql.NpgsqlException e)
            {
                await error.WriteLineAsync("error: the PostgreSQL backend: " + e.Message).ConfigureAwait(false);
            }
            return 1;
        });
        backend.Add(migrate);
        return backend;
    }

    /// <summary>
    /// Copies every live item (an item with a lease gets the time it had left), then the CA keys of the data directory,
    /// sealed with <c>auth.ca_key_encryption</c>, then marks the backend migrated. Returns (items, leased items, CA
    /// keys), or null when an earlier run did all that already.
    /// </summary>
    internal static async Task<(int Copied, int Leased, int CaKeys)?> MigrateAsync(AdminTarget target, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(target.DataDir, "ca", "user", "state")))
        {
            throw new InvalidOperationException($"there are no CA files in {Path.Combine(target.DataDir, "ca")} to migrate (nothing was copied)");
        }
        using var key = BackendCaStorage.LoadKey(target.Backend.CaKeyEncryption);
        await using var source = SqliteBackend.Open(target.DataDir);
        await using var destination = await PostgresBackend.OpenAsync(target.Backend.ConnString!, cancellationToken: ct).ConfigureAwait(false);
        if ((await destination.RangeAsync("/", ct).ConfigureAwait(false)).Count > 0)
        {
            if (await destination.GetAsync(BackendKeys.MigratedFromSqlite, ct).ConfigureAwait(false) is not null)
            {
                return null;
            }
            throw new InvalidOperationException("the PostgreSQL backend already holds items: migrate only into an empty backend (nothing was copied)");
        }
        var now = DateTimeOffset.UtcNow;
        int copied = 0, leased = 0;
        foreach (var item in await source.RangeAsync("/", ct).ConfigureAwait(false))
        {
            TimeSpan? ttl = null;
            if (item.Expires is { } expires)
            {
                ttl = expires - now;
                if (ttl <= TimeSpan.Zero)
                {
                    continue;
                }
                leased++;
            }
            await destination.PutAsync(item.Key, item.Value, ttl, ct).ConfigureAwait(false);
            copied++;
        }
        using var authority = await Ferry.Identity.CertificateAuthorityStore.OpenSharedAsync(new BackendCaStorage(destination), key, target.Cluster, target.DataDir, cancellationToken: ct).ConfigureAwait(false);
        var caKeys = 0;
        foreach (var kind in (Ferry.Identity.CaKind[])[Ferry.Identity.CaKind.User, Ferry.Identity.CaKind.Host, Ferry.Identity.CaKind.DbClient])
        {
            caKeys += authority.GetKeys(kind).Count;
        }
        await destination.PutAsync(BackendKeys.MigratedFromSqlite, System.Text.Encoding.UTF8.GetBytes(now.ToString("O", System.Globalization.CultureInfo.InvariantCulture)), null, ct).ConfigureAwait(false);
        return (copied, leased, caKeys);
    }

    /// <summary>Refuses a segment store whose hash chain does not verify (copying it would launder the break into a valid chain).</summary>
    internal static void VerifyAuditSource(string auditDir)
    {
        if (Directory.Exists(auditDir) && AuditVerifier.Verify(auditDir) is { Ok: false } result)
        {
            throw new InvalidOperationException($"the audit store in {auditDir} does not verify ({result.FirstBroken}): nothing was copied; find out what changed it (`ferryd audit verify --data-dir`) before migrating");
        }
    }

    /// <summary>Events per append while copying the audit history (one transaction each).</summary>
    private const int AuditBatch = 1000;

    /// <summary>
    /// Copies the segment store's events, in chain order, into the PostgreSQL audit table, which gives them its own
    /// chain. The table drops events whose id it holds, so a second run stores nothing twice and an interrupted one
    /// resumes. Returns (events read, events stored).
    /// </summary>
    internal static async Task<(long Events, long Stored)> MigrateAuditAsync(string auditDir, string connString, CancellationToken ct)
    {
        using var table = PostgresAuditStore.Open(connString);
        long events = 0, stored = 0;
        foreach (var segment in AuditStore.ReadChain(auditDir))
        {
            foreach (var batch in segment.Chunk(AuditBatch))
            {
                events += batch.Length;
                stored += await table.AppendAsync(batch, ct).ConfigureAwait(false);
            }
        }
        return (events, stored);
    }
}
