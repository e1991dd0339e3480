using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ferry.Audit;

/// <summary>
/// The audit sink for relays: <see cref="Emit"/> puts the event in a bounded in-memory channel and
/// returns. One writer loop drains the channel in batches into the <see cref="AuditSpool"/> (one
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
    private readonly Task _writer;
    private readonly Lock _waitersLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private long _emitted;
    private long _durable;
    private long _spilled;
    private int _spillRunning;

    /// <summary>Creates the sink and starts its writer loop.</summary>
    /// <param name="spool">The spool to write to (owned by the caller).</param>
    /// <param name="capacity">Channel capacity before events spill. Default 8192.</param>
    /// <param name="maxBatch">Most events per fsync. Default 1024.</param>
    public SpoolingAuditSink(AuditSpool spool, int capacity = 8192, int maxBatch = 1024)
    {
        _spool = spool;
        _maxBatch = maxBatch;
        _channel = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriterLoopAsync);
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
        await _writer.ConfigureAwait(false);
        while (!_overflow.IsEmpty || Volatile.Read(ref _spillRunning) != 0)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<AuditEvent>(_maxBatch);
        ChannelReader<AuditEvent> reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && reader.TryRead(out AuditEvent? e))
            {
                batch.Add(e);
            }

            await WriteWithRetryAsync(batch).ConfigureAwait(false);
            batch.Clear();
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
                WriteWithRetryAsync(batch).GetAwaiter().GetResult();
                continue;
            }

            Volatile.Write(ref _spillRunning, 0);
            if (_overflow.IsEmpty || Interlocked.CompareExchange(ref _spillRunning, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task WriteWithRetryAsync(List<AuditEvent> batch)
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
                await Task.Delay(delayMs).ConfigureAwait(false);
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
