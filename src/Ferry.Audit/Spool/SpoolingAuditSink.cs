using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ferry.Audit;

/// <summary>
/// The audit sink for relays: <see cref="Emit"/> puts the event in a bounded in-memory channel and
/// returns. One writer thread drains the channel in batches into the <see cref="AuditSpool"/> file at
/// once, and fsyncs at most once per commit interval (group commit). Overflow policy: when the channel is full the event is neither dropped nor
/// waited for; it goes to an overflow queue that a background spill worker writes straight to
/// the spool. Memory is therefore bounded by the channel plus whatever the disk has not yet
/// absorbed; <see cref="Spilled"/> counts how often that happened.
/// </summary>
public sealed class SpoolingAuditSink : IAuditSink, IAsyncDisposable
{
    private readonly AuditSpool _spool;
    private readonly Channel<AuditEvent> _channel;
    private readonly ConcurrentQueue<AuditEvent> _overflow = new();
    private readonly int _maxBatch;
    private readonly TimeSpan _commitInterval;
    private readonly Thread _writer;
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writerIdle;
    private readonly Lock _waitersLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private long _emitted;
    private long _durable;
    private long _spilled;
    private int _spillRunning;

    /// <summary>Creates the sink and starts its writer thread.</summary>
    /// <param name="spool">The spool to write to (owned by the caller).</param>
    /// <param name="capacity">Channel capacity before events spill. Default 8192.</param>
    /// <param name="maxBatch">Most events per fsync. Default 1024.</param>
    /// <param name="commitInterval">
    /// Shortest time between two fsyncs (group commit). Events are written into the spool file as soon as the
    /// writer sees them, so a killed process loses none of them; while events keep coming, one fsync per
    /// interval makes all of them survive a machine crash, instead of one fsync per query. Default 5 ms; zero
    /// fsyncs every write.
    /// </param>
    public SpoolingAuditSink(AuditSpool spool, int capacity = 8192, int maxBatch = 1024, TimeSpan? commitInterval = null)
    {
        _spool = spool;
        _maxBatch = maxBatch;
        _commitInterval = commitInterval ?? TimeSpan.FromMilliseconds(5);
        _channel = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = new Thread(WriterThread) { IsBackground = true, Name = "ferry audit spool" };
        _writer.Start();
    }

    /// <summary>Events accepted by <see cref="Emit"/>.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>Events written and fsync'd to the spool.</summary>
    public long Durable => Interlocked.Read(ref _durable);

    /// <summary>Events that found the channel full and went through the spill path.</summary>
    public long Spilled => Interlocked.Read(ref _spilled);

    /// <summary>The last error writing to the spool (the batch is retried), or null.</summary>
    public Exception? LastError { get; private set; }

    public void Emit(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Interlocked.Increment(ref _emitted);
        if (_channel.Writer.TryWrite(e))
        {
            Interlocked.MemoryBarrier(); // pairs with the writer's flag exchange: no lost wake-up
            if (Volatile.Read(ref _writerIdle) != 0)
            {
                _wake.Set();
            }

            return;
        }

        _overflow.Enqueue(e);
        Interlocked.Increment(ref _spilled);
        if (Interlocked.CompareExchange(ref _spillRunning, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Spill(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Completes once at least as many events as had been emitted when it was called are durable
    /// (exact when no event spilled, since the channel path is FIFO).
    /// </summary>
    public Task FlushAsync(CancellationToken ct = default)
    {
        long target = Interlocked.Read(ref _emitted);
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

    /// <summary>Stops accepting events into the channel, writes everything pending, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        _wake.Set();
        await _writerDone.Task.ConfigureAwait(false);
        while (!_overflow.IsEmpty || Volatile.Read(ref _spillRunning) != 0)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The writer thread. Every event is written into the spool file as soon as the thread sees it, so a
    /// killed process loses nothing it emitted before the last write; the fsync that also protects against a
    /// machine crash happens at most once per commit interval and covers every write since the last one.
    /// A dedicated thread rather than a pool loop: writes and fsyncs block, and a timer plus a pool wake-up per
    /// batch would cost the relays' CPU.
    /// </summary>
    private void WriterThread()
    {
        var batch = new List<AuditEvent>(_maxBatch);
        ChannelReader<AuditEvent> reader = _channel.Reader;
        long lastSync = 0;
        long unsynced = 0;
        try
        {
            while (true)
            {
                if (!reader.TryPeek(out _))
                {
                    if (unsynced > 0)
                    {
                        TimeSpan wait = _commitInterval - System.Diagnostics.Stopwatch.GetElapsedTime(lastSync);
                        if (wait > TimeSpan.Zero && WaitForEvents(reader, wait))
                        {
                            continue; // write the newcomers first; the fsync covers them too
                        }

                        SyncWithRetry(ref unsynced);
                        lastSync = System.Diagnostics.Stopwatch.GetTimestamp();
                        continue;
                    }

                    if (!WaitForEvents(reader, Timeout.InfiniteTimeSpan))
                    {
                        return; // completed and drained
                    }
                }

                while (batch.Count < _maxBatch && reader.TryRead(out AuditEvent? e))
                {
                    batch.Add(e);
                }

                AppendWithRetry(batch);
                unsynced += batch.Count;
                batch.Clear();
                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastSync) >= _commitInterval)
                {
                    SyncWithRetry(ref unsynced);
                    lastSync = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
        }
        finally
        {
            if (unsynced > 0)
            {
                SyncWithRetry(ref unsynced);
            }

            _writerDone.TrySetResult();
        }
    }

    /// <summary>Sleeps until an event is queued (true), or the timeout passes or the channel completes empty (false).</summary>
    private bool WaitForEvents(ChannelReader<AuditEvent> reader, TimeSpan timeout)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _writerIdle, 1); // pairs with the barrier in Emit: no lost wake-up
        try
        {
            while (!reader.TryPeek(out _))
            {
                if (reader.Completion.IsCompleted)
                {
                    return false;
                }

                int waitMs = Timeout.Infinite;
                if (timeout != Timeout.InfiniteTimeSpan)
                {
                    TimeSpan left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(start);
                    if (left <= TimeSpan.Zero)
                    {
                        return false;
                    }

                    // Whole milliseconds, rounded up: a wait of less than 1 ms truncated to Wait(0) returns at
                    // once, and the loop would spin on the clock until the commit interval ran out.
                    waitMs = (int)Math.Ceiling(left.TotalMilliseconds);
                }

                _wake.Wait(waitMs);
                _wake.Reset();
            }

            return true;
        }
        finally
        {
            Interlocked.Exchange(ref _writerIdle, 0);
        }
    }

    private void Spill()
    {
        while (true)
        {
            var batch = new List<AuditEvent>(_maxBatch);
            while (batch.Count < _maxBatch && _overflow.TryDequeue(out AuditEvent? e))
            {
                batch.Add(e);
            }

            if (batch.Count > 0)
            {
                AppendWithRetry(batch, sync: true);
                MarkDurable(batch.Count);
                continue;
            }

            Volatile.Write(ref _spillRunning, 0);
            if (_overflow.IsEmpty || Interlocked.CompareExchange(ref _spillRunning, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void AppendWithRetry(List<AuditEvent> batch, bool sync = false) =>
        Retry(static s => s.Spool.Append(s.Batch, s.Sync), (Spool: _spool, Batch: batch, Sync: sync));

    private void SyncWithRetry(ref long unsynced)
    {
        Retry(static spool => spool.Sync(), _spool);
        MarkDurable(unsynced);
        unsynced = 0;
    }

    private void MarkDurable(long count) => ReleaseWaiters(Interlocked.Add(ref _durable, count));

    /// <summary>Disk full or similar: keep the events in memory and try again with backoff; never drop (no closure per write: this runs for every batch).</summary>
    private void Retry<TState>(Action<TState> io, TState state)
    {
        int delayMs = 10;
        while (true)
        {
            try
            {
                io(state);
                return;
            }
            catch (IOException ex)
            {
                LastError = ex;
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
