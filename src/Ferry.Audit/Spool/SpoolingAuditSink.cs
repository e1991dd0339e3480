using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ferry.Audit;

/// <summary>
/// The audit sink for relays: <see cref="Emit"/> puts the event in a bounded in-memory channel and
/// returns. One writer thread drains the channel in batches into the <see cref="AuditSpool"/> (one
/// fsync per batch). Overflow policy: when the channel is full the event is neither dropped nor
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
    /// Shortest time between two batches (group commit): while events keep coming, the writer waits this
    /// long after an fsync so the next batch gathers everything emitted meanwhile, instead of paying one
    /// fsync per query. The first event after a quiet spell is written at once. Default 5 ms; zero writes
    /// every event as soon as the writer sees it.
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
    /// The writer thread: sleeps until an event arrives, writes everything queued as one batch (one fsync),
    /// then waits out the commit interval before looking again. A dedicated thread rather than a pool loop:
    /// the fsync blocks, and a timer plus a pool wake-up per batch would cost the relays' CPU.
    /// </summary>
    private void WriterThread()
    {
        var batch = new List<AuditEvent>(_maxBatch);
        ChannelReader<AuditEvent> reader = _channel.Reader;
        try
        {
            while (true)
            {
                if (!reader.TryPeek(out _))
                {
                    Interlocked.Exchange(ref _writerIdle, 1);
                    while (!reader.TryPeek(out _) && !reader.Completion.IsCompleted)
                    {
                        _wake.Wait();
                        _wake.Reset();
                    }

                    Interlocked.Exchange(ref _writerIdle, 0);
                    if (reader.Completion.IsCompleted)
                    {
                        return;
                    }
                }

                while (batch.Count < _maxBatch && reader.TryRead(out AuditEvent? e))
                {
                    batch.Add(e);
                }

                WriteWithRetry(batch);
                batch.Clear();
                if (_commitInterval > TimeSpan.Zero && reader.Count < _maxBatch)
                {
                    Thread.Sleep(_commitInterval); // group commit: let the next batch gather
                }
            }
        }
        finally
        {
            _writerDone.TrySetResult();
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
                WriteWithRetry(batch);
                continue;
            }

            Volatile.Write(ref _spillRunning, 0);
            if (_overflow.IsEmpty || Interlocked.CompareExchange(ref _spillRunning, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void WriteWithRetry(List<AuditEvent> batch)
    {
        int delayMs = 10;
        while (true)
        {
            try
            {
                _spool.AppendDurable(batch);
                break;
            }
            catch (IOException ex)
            {
                // Disk full or similar: keep the batch in memory and try again; never drop.
                LastError = ex;
                Thread.Sleep(delayMs);
                delayMs = Math.Min(delayMs * 2, 1000);
            }
        }

        long durable = Interlocked.Add(ref _durable, batch.Count);
        ReleaseWaiters(durable);
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
