using Ferry.Diagnostics;

namespace Ferry.Audit;

/// <summary>
/// Reads the spool from its ack cursor and delivers batches through an <see cref="IAuditUploader"/>.
/// A batch is acked (cursor persisted, old segments deleted) only after the upload returned, so
/// delivery is at least once: a crash between upload and ack re-sends the batch, and the store
/// drops the duplicates by id. When the uploader throws (auth service down) the same batch is
/// retried with exponential backoff and jitter; emitters keep writing to the spool meanwhile.
/// </summary>
public sealed class AuditShipper
{
    private readonly AuditSpool _spool;
    private readonly IAuditUploader _uploader;
    private readonly AuditShipperOptions _options;
    private long _delivered;
    private long _failures;
    // Stopwatch timestamp of the moment the shipper first saw events it had not shipped yet; 0 when caught up.
    private long _behindSince;
    // Stopwatch timestamp of the last upload (0 before the first): trickling events linger after it.
    private long _lastUpload;

    public AuditShipper(AuditSpool spool, IAuditUploader uploader, AuditShipperOptions? options = null)
    {
        _spool = spool;
        _uploader = uploader;
        _options = options ?? new AuditShipperOptions();
    }

    /// <summary>Events uploaded and acked since this shipper started.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Failed upload attempts since this shipper started.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>How long the batch now due has waited since the shipper first read it (it grows while uploads fail); zero when caught up.</summary>
    public TimeSpan Lag => Interlocked.Read(ref _behindSince) is var since and not 0 ? System.Diagnostics.Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;

    /// <summary>The last upload error, or null.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>
    /// Ships until <paramref name="ct"/> is cancelled; returns normally on cancellation or when the spool is closed.
    /// Nothing else ends it: a failed upload is retried (see <see cref="UploadWithRetryAsync"/>), and a failed read
    /// or ack of the spool itself (fd exhaustion, a full or read-only disk) is logged, counted in
    /// <c>ferry_background_task_failures_total{task="audit_shipping"}</c> and retried with the same capped, jittered
    /// backoff from the last persisted ack, so what was shipped but not acked is sent again (the store drops it).
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var lag = FerryMetrics.TrackShippingLag(() => Lag.TotalSeconds);
        SpoolPosition? pos = null;
        TimeSpan backoff = _options.InitialBackoff;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                pos ??= _spool.AckedPosition;
                pos = await StepAsync(pos.Value, ct).ConfigureAwait(false);
                if (pos is null)
                {
                    return;
                }

                if (failures > 0)
                {
                    AuditShipLog.SpoolRecovered(_options.Log, failures, Lag.TotalSeconds);
                    failures = 0;
                    backoff = _options.InitialBackoff;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the spool was closed: the host is stopping
            }
#pragma warning disable CA1031 // any spool failure (I/O, permissions, a bug) must not end shipping for good: log, count, retry
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LastError = ex;
                Interlocked.Increment(ref _failures);
                failures++;
                FerryMetrics.BackgroundFailure("audit_shipping");
                TimeSpan jittered = Jitter(backoff);
                AuditShipLog.SpoolFailed(_options.Log, failures, jittered, Lag.TotalSeconds, ex.GetType().Name, ex.Message);
                pos = null; // start again from the persisted ack cursor
                try
                {
                    await Task.Delay(jittered, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = NextBackoff(backoff);
            }
        }
    }

    /// <summary>One round: waits for events or ships one batch. Returns the next position, or null when cancelled.</summary>
    private async Task<SpoolPosition?> StepAsync(SpoolPosition pos, CancellationToken ct)
    {
        SpoolBatch batch = _spool.Read(pos, _options.MaxBatch, _options.MaxBatchBytes);
        NoteBacklog(batch.Count);
        TimeSpan sinceUpload = System.Diagnostics.Stopwatch.GetElapsedTime(_lastUpload);
        if (batch.Count > 0 && !batch.Full && _lastUpload != 0 && sinceUpload < _options.Linger)
        {
            // Events are trickling in: let them gather into one upload.
            try
            {
                await Task.Delay(_options.Linger - sinceUpload, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            _spool.Recycle(batch);
            batch = _spool.Read(pos, _options.MaxBatch, _options.MaxBatchBytes);
        }

        if (batch.Count == 0)
        {
            if (batch.Next > pos)
            {
                // Skipped over an empty or corrupt segment end: remember that.
                _spool.Ack(batch.Next);
                return batch.Next;
            }

            try
            {
                await _spool.WaitForDataAsync(pos, ct).WaitAsync(_options.PollInterval, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No wake-up within the poll interval: read the spool again anyway (a wake-up can be missed
                // when an append lands between the read above and the wait).
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return null;
            }

            return pos;
        }

        if (!await UploadWithRetryAsync(batch.Batch, ct).ConfigureAwait(false))
        {
            return null;
        }

        _lastUpload = System.Diagnostics.Stopwatch.GetTimestamp();
        _spool.Ack(batch.Next);
        _spool.Recycle(batch);
        Interlocked.Add(ref _delivered, batch.Count);
        FerryMetrics.AuditShipped(batch.Count);
        NoteBacklog(0);
        return batch.Next;
    }

    /// <summary>Ships everything durable in the spool right now, then returns the number of events sent.</summary>
    public async Task<long> DrainAsync(CancellationToken ct)
    {
        long sent = 0;
        SpoolPosition pos = _spool.AckedPosition;
        while (true)
        {
            SpoolBatch batch = _spool.Read(pos, _options.MaxBatch, _options.MaxBatchBytes);
            if (batch.Count == 0 && batch.Next <= pos)
            {
                return sent;
            }

            if (batch.Count > 0 && !await UploadWithRetryAsync(batch.Batch, ct).ConfigureAwait(false))
            {
                ct.ThrowIfCancellationRequested();
            }

            _spool.Ack(batch.Next);
            _spool.Recycle(batch);
            pos = batch.Next;
            sent += batch.Count;
            Interlocked.Add(ref _delivered, batch.Count);
        }
    }

    private async Task<bool> UploadWithRetryAsync(AuditBatch events, CancellationToken ct)
    {
        TimeSpan backoff = _options.InitialBackoff;
        var attempts = 0;
        while (true)
        {
            try
            {
                // Carry on on the thread pool, not on the socket thread that completed the upload: reading and
                // framing the next batch must not hold up that thread's relays.
                await _uploader.UploadAsync(events, ct).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                if (attempts > 0)
                {
                    AuditShipLog.UploadRecovered(_options.Log, attempts, Lag.TotalSeconds);
                }
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // any uploader failure means "auth service unavailable": retry
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LastError = ex;
                Interlocked.Increment(ref _failures);
                attempts++;
                FerryMetrics.BackgroundFailure("audit_shipping");
            }

            TimeSpan jittered = Jitter(backoff);
            AuditShipLog.UploadFailed(_options.Log, events.Count, attempts, jittered, _spool.PendingBytes, Lag.TotalSeconds, LastError.Message);
            try
            {
                await Task.Delay(jittered, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            backoff = NextBackoff(backoff);
        }
    }

    /// <summary>
    /// For a caller that drives <see cref="DrainAsync"/> in its own loop (the auth server): records that a drain
    /// failed (logged, counted like a failure of <see cref="RunAsync"/>) and returns how long to wait before the
    /// next attempt, a capped jittered backoff that doubles with <paramref name="attempt"/>.
    /// </summary>
    public TimeSpan ReportDrainFailure(Exception error, int attempt)
    {
        ArgumentNullException.ThrowIfNull(error);
        LastError = error;
        Interlocked.Increment(ref _failures);
        FerryMetrics.BackgroundFailure("audit_shipping");
        TimeSpan backoff = _options.InitialBackoff;
        for (var i = 1; i < attempt && backoff < _options.MaxBackoff; i++)
        {
            backoff = NextBackoff(backoff);
        }

        TimeSpan jittered = Jitter(backoff);
        AuditShipLog.SpoolFailed(_options.Log, attempt, jittered, Lag.TotalSeconds, error.GetType().Name, error.Message);
        return jittered;
    }

    /// <summary>Between half and all of <paramref name="backoff"/>: shippers of many hosts do not retry in step.</summary>
    private static TimeSpan Jitter(TimeSpan backoff) => backoff * (0.5 + (Random.Shared.NextDouble() / 2));

    private TimeSpan NextBackoff(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    /// <summary>Starts the lag clock when unshipped events first show up, and stops it when a read finds none.</summary>
    private void NoteBacklog(int unshipped)
    {
        if (unshipped == 0)
        {
            Interlocked.Exchange(ref _behindSince, 0);
        }
        else if (Interlocked.Read(ref _behindSince) == 0)
        {
            Interlocked.CompareExchange(ref _behindSince, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        }
    }
}
