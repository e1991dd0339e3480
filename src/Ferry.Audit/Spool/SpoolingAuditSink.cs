namespace Ferry.Audit;

/// <summary>
/// The audit sink for relays: <see cref="Emit"/> returns once the event is in the <see cref="AuditSpool"/> file (a
/// <c>write</c> that returned: a <c>kill -9</c> of the process no longer loses it), so a relay that emits a
/// statement's event before forwarding the statement never runs one unaudited. Inside an <see cref="AuditPass"/> the
/// events of the pass are written together with one <c>write</c> when it ends, before the relay forwards. Serialising
/// happens on the emitting thread; no other thread is woken per event. One background thread only fsyncs, at most once
/// per commit interval (group commit), so a machine crash loses at most that interval.
/// Memory is bounded by what one pass emits. A disk that fails writes is retried for
/// <see cref="AuditSpoolOptions.StallTimeout"/>, then the event is refused with <see cref="AuditSpoolUnavailableException"/>
/// (and the relay refuses the statement): never dropped silently.
/// </summary>
public sealed class SpoolingAuditSink : IAuditSink, IAsyncDisposable
{
    [ThreadStatic]
    private static AuditEvent[]? t_one;

    private readonly AuditSpool _spool;
    private readonly TimeSpan _commitInterval;
    private readonly Thread _syncer;
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private readonly TaskCompletionSource _syncerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _waitersLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private int _syncerIdle;
    private volatile bool _stopping;
    private long _written;
    private long _durable;

    /// <summary>Creates the sink and starts its fsync thread.</summary>
    /// <param name="spool">The spool to write to (owned by the caller).</param>
    /// <param name="commitInterval">
    /// Shortest time between two fsyncs (group commit). Events are in the spool file when <see cref="Emit"/> returns,
    /// so a killed process loses none of them; while events keep coming, one fsync per interval makes all of them
    /// survive a machine crash, instead of one fsync per query. Default 5 ms; zero fsyncs as soon as the thread sees
    /// a write.
    /// </param>
    public SpoolingAuditSink(AuditSpool spool, TimeSpan? commitInterval = null)
    {
        ArgumentNullException.ThrowIfNull(spool);
        _spool = spool;
        _commitInterval = commitInterval ?? TimeSpan.FromMilliseconds(5);
        _syncer = new Thread(SyncerThread) { IsBackground = true, Name = "ferry audit fsync" };
        _syncer.Start();
    }

    /// <summary>Events written into the spool file.</summary>
    public long Emitted => Interlocked.Read(ref _written);

    /// <summary>Events written and fsync'd to the spool.</summary>
    public long Durable => Interlocked.Read(ref _durable);

    /// <summary>The last error writing to or syncing the spool (retried), or null.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Writes <paramref name="e"/> into the spool file (or into the current <see cref="AuditPass"/>) and returns.</summary>
    /// <exception cref="AuditSpoolUnavailableException">The spool could not be written: what the event records must not happen.</exception>
    public void Emit(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (AuditPass.Defer(this, e))
        {
            return;
        }

        AuditEvent[] one = t_one ??= new AuditEvent[1];
        one[0] = e;
        try
        {
            Write(one);
        }
        finally
        {
            one[0] = null!;
        }
    }

    /// <summary>Writes <paramref name="events"/> with one <c>write</c>, retrying a failing disk for the stall timeout.</summary>
    internal void Write(IReadOnlyList<AuditEvent> events)
    {
        bool stopping = _stopping; // after Dispose nobody fsyncs later: sync with the write
        Retry(static s => s.Spool.Append(s.Events, s.Sync), (Spool: _spool, Events: events, Sync: stopping));
        long written = Interlocked.Add(ref _written, events.Count);
        if (stopping)
        {
            MarkDurable(written);
            return;
        }

        Interlocked.MemoryBarrier(); // pairs with the fsync thread's flag exchange: no lost wake-up
        if (Volatile.Read(ref _syncerIdle) != 0)
        {
            _wake.Set(); // once per idle period, not per event: a busy fsync thread is not asleep on it
        }
    }

    /// <summary>Completes once every event written when it was called is fsync'd.</summary>
    public Task FlushAsync(CancellationToken ct = default)
    {
        long target = Interlocked.Read(ref _written);
        lock (_waitersLock)
        {
            if (Interlocked.Read(ref _durable) >= target)
            {
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, tcs));
            return tcs.Task.WaitAsync(ct);
        }
    }

    /// <summary>fsyncs what was written and stops the fsync thread; later events are written and fsync'd by their emitter.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _wake.Set();
        await _syncerDone.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// The fsync thread: after a write it waits out the rest of the commit interval since its last fsync (writes that
    /// come meanwhile share the fsync), fsyncs, and goes back to sleep when nothing new was written.
    /// </summary>
    private void SyncerThread()
    {
        long synced = 0;
        long lastSync = 0;
        try
        {
            while (true)
            {
                if (Interlocked.Read(ref _written) == synced && !WaitForWrites(synced))
                {
                    return;
                }

                TimeSpan wait = _commitInterval - System.Diagnostics.Stopwatch.GetElapsedTime(lastSync);
                if (wait > TimeSpan.Zero && !_stopping)
                {
                    // Not Thread.Sleep: Dispose must not wait out a long commit interval. Reset, then look at the flag
                    // (Dispose sets it before it signals), so a stop is never missed.
                    _wake.Reset();
                    if (!_stopping)
                    {
                        _wake.Wait(wait);
                    }
                }

                long target = Interlocked.Read(ref _written);
                Retry(static spool => spool.Sync(), _spool, giveUp: false);
                lastSync = System.Diagnostics.Stopwatch.GetTimestamp();
                synced = target;
                MarkDurable(target);
            }
        }
        finally
        {
            long target = Interlocked.Read(ref _written);
            if (target != synced)
            {
                Retry(static spool => spool.Sync(), _spool, giveUp: false);
                MarkDurable(target);
            }

            _syncerDone.TrySetResult();
        }
    }

    /// <summary>Sleeps until something past <paramref name="synced"/> is written (true) or the sink stops (false).</summary>
    private bool WaitForWrites(long synced)
    {
        Interlocked.Exchange(ref _syncerIdle, 1); // pairs with the barrier in Write: no lost wake-up
        try
        {
            while (Interlocked.Read(ref _written) == synced)
            {
                if (_stopping)
                {
                    return false;
                }

                _wake.Wait();
                _wake.Reset();
            }

            return true;
        }
        finally
        {
            Interlocked.Exchange(ref _syncerIdle, 0);
        }
    }

    private void MarkDurable(long written)
    {
        long durable = Interlocked.Read(ref _durable);
        while (written > durable)
        {
            long seen = Interlocked.CompareExchange(ref _durable, written, durable);
            if (seen == durable)
            {
                break;
            }

            durable = seen;
        }

        ReleaseWaiters(Interlocked.Read(ref _durable));
    }

    /// <summary>
    /// Disk full or similar: try again with backoff (no closure per write: this runs for every pass). A write gives up
    /// after the spool's stall timeout with <see cref="AuditSpoolUnavailableException"/>; the fsync thread never does.
    /// </summary>
    private void Retry<TState>(Action<TState> io, TState state, bool giveUp = true)
    {
        int delayMs = 10;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                io(state);
                return;
            }
            catch (IOException ex) when (ex is not AuditSpoolUnavailableException)
            {
                LastError = ex;
                if (giveUp && System.Diagnostics.Stopwatch.GetElapsedTime(started) >= _spool.StallTimeout)
                {
                    throw new AuditSpoolUnavailableException($"audit spool {_spool.Directory} cannot be written: {ex.Message}", ex);
                }

                Thread.Sleep(delayMs);
                delayMs = Math.Min(delayMs * 2, 1000);
            }
        }
    }

    private void ReleaseWaiters(long durable)
    {
        lock (_waitersLock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= durable)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
