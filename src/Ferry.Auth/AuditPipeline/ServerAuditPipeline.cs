using Ferry.Audit;
using Ferry.Diagnostics;

namespace Ferry.Auth.AuditPipeline;

/// <summary>
/// The auth server's audit plumbing: the store (<c>audit/</c> segments, or the PostgreSQL table shared by the auth
/// servers of a cluster, see <see cref="PostgresAuditStore"/>), the server's own spool (<c>spool/auth</c>) shipped
/// into the store, and a sweep that ships finished admin spools (<see cref="AdminAuditSpool"/>) into the store.
/// </summary>
internal sealed class ServerAuditPipeline : IAuditSink, IAsyncDisposable
{
    private readonly string _spoolRoot;
    private readonly AuditSpool _spool;
    private readonly SpoolingAuditSink _sink;
    private readonly AuditShipper _shipper;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _drainGate = new(1, 1);
    private readonly Task _shipping;
    private readonly Task _adminSweep;

    public ServerAuditPipeline(string dataDir, TimeProvider time, TimeSpan? retention = null, IAuditStore? store = null)
    {
        Store = store ?? AuditStore.Open(Path.Combine(dataDir, "audit"), new AuditStoreOptions { Time = time, Retention = retention });
        _spoolRoot = Path.Combine(dataDir, "spool");
        _spool = AuditSpool.Open(Path.Combine(_spoolRoot, "auth"));
        _sink = new SpoolingAuditSink(_spool);
        _shipper = new AuditShipper(_spool, new AuditStoreUploader(Store));
        _shipping = Task.Run(ShipLoopAsync);
        _adminSweep = Task.Run(SweepAdminSpoolsAsync);
    }

    public IAuditStore Store { get; }

    public void Emit(AuditEvent e) => _sink.Emit(e);

    /// <summary>Waits until every event emitted so far is durable in the spool and shipped to the store.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _sink.FlushAsync(ct).ConfigureAwait(false);
        await DrainAsync(ct).ConfigureAwait(false);
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        await _drainGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _shipper.DrainAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _drainGate.Release();
        }
    }

    private async Task ShipLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            var maintained = DateTimeOffset.UtcNow;
            var failures = 0;
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await DrainAsync(_stop.Token).ConfigureAwait(false);
                    failures = 0;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // a failed drain (disk full, fd exhaustion) must not end shipping for good: log, count, back off, retry
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    await Task.Delay(_shipper.ReportDrainFailure(ex, ++failures), _stop.Token).ConfigureAwait(false);
                    continue;
                }

                if (DateTimeOffset.UtcNow - maintained >= TimeSpan.FromMinutes(1))
                {
                    // Seal old segments and apply retention (which audits what it removed).
                    maintained = DateTimeOffset.UtcNow;
                    try
                    {
                        await Store.MaintainAsync(_stop.Token).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // a failed maintenance (disk, PostgreSQL away) is retried next round: log and count, never end shipping
                    catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                    {
                        // The store stays consistent (sealing and retention are crash-safe or one transaction).
                        FerryMetrics.BackgroundFailure("audit_maintenance");
                        AuthLog.AuditMaintenanceFailed(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Auth.Audit"), ex.GetType().Name, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the maintenance loop stops with the pipeline.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _sink.FlushAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already disposed by an earlier shutdown: nothing left to flush.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Swallow(_shipping).ConfigureAwait(false);
        await Swallow(_adminSweep).ConfigureAwait(false);
        await _sink.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _shipper.DrainAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The spool was closed before everything drained: what is left ships on the next start (at least once).
        }

        _spool.Dispose();
        Store.Dispose();
        _stop.Dispose();
        _drainGate.Dispose();
    }

    internal async Task ShipAdminSpoolsAsync(CancellationToken ct)
    {
        if (!Directory.Exists(_spoolRoot))
        {
            return;
        }

        foreach (var dir in Directory.GetDirectories(_spoolRoot))
        {
            if (!AdminAuditSpool.IsFinished(Path.GetFileName(dir)))
            {
                continue;
            }

            using (var spool = AuditSpool.Open(dir))
            {
                await new AuditShipper(spool, new AuditStoreUploader(Store)).DrainAsync(ct).ConfigureAwait(false);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task SweepAdminSpoolsAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            do
            {
                try
                {
                    await ShipAdminSpoolsAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // A spool still being renamed or removed: next tick.
                }
                catch (InvalidOperationException ex)
                {
                    // An admin spool that cannot be opened (open to other users: the message says what to run) or a
                    // store that cannot take it now: logged and counted, tried again next tick; the sweep goes on.
                    _shipper.ReportDrainFailure(ex, 1);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the admin-spool sweep stops with the pipeline.
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The awaited loop was cancelled by the shutdown that awaits it: the expected end.
        }
    }
}
