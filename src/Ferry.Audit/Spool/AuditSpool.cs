using System.Buffers;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Append-only local spool of audit events: numbered segment files (<c>spool-N.log</c>) of
/// length-prefixed, CRC-checked records, fsync'd once per batch (group commit), and a persisted
/// ack cursor (<c>cursor.json</c>) so a shipper resumes after a restart and delivers at least once.
/// A torn tail record left by a crash is detected by its length or CRC and cut off on open.
/// Segments before the acked position are deleted.
/// </summary>
public sealed partial class AuditSpool : IDisposable
{
    internal static ReadOnlySpan<byte> Magic => "FRYSPL01"u8;

    private const string CursorFile = "cursor.json";

    private readonly string _directory;
    private readonly AuditSpoolOptions _options;
    private readonly Lock _lock = new();

    /// <summary>Serialises <see cref="Ack"/>s, whose cursor fsync happens outside <see cref="_lock"/>.</summary>
    private readonly Lock _ackLock = new();
    private readonly SortedSet<long> _segments = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private FileStream _active;
    private long _activeSegment;
    private long _activeLength;
    private SpoolPosition _acked;
    // The ack cursor as last written to its file, and when (Stopwatch timestamp). Under _ackLock.
    private SpoolPosition _persistedAck;
    private long _persistedAckAt;
    // The last batch's buffer, handed back by the shipper (Recycle) for the next Read; null while idle.
    private System.Buffers.ArrayBufferWriter<byte>? _spareBatchBuffer;
    private TaskCompletionSource _dataSignal = NewSignal();
    private bool _dataAwaited;
    private long _corruptSkipped;
    // Delivery identity of what this opening writes: a fresh random source, and the last sequence number given.
    private readonly string _source = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly byte[] _deliveryPrefix;
    private long _seq;
    private bool _disposed;

    private AuditSpool(string directory, AuditSpoolOptions options)
    {
        _directory = directory;
        _options = options;
        _deliveryPrefix = SerializedEvents.DeliveryPrefix(_source);
        _active = null!;
    }

    /// <summary>Bytes of a torn or corrupt tail cut off when the spool was opened.</summary>
    public long RecoveredTornBytes { get; private set; }

    /// <summary>Records skipped because they failed their CRC inside a closed segment (disk corruption).</summary>
    public long CorruptRecordsSkipped => Interlocked.Read(ref _corruptSkipped);

    /// <summary>Number of segment files currently on disk.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_lock)
            {
                return _segments.Count;
            }
        }
    }

    /// <summary>The <see cref="AuditEvent.Source"/> this opening of the spool stamps on what it writes.</summary>
    public string Source => _source;

    /// <summary>See <see cref="AuditSpoolOptions.StallTimeout"/>.</summary>
    public TimeSpan StallTimeout => _options.StallTimeout;

    /// <summary>The spool directory.</summary>
    public string Directory => _directory;

    /// <summary>Opens (or creates) the spool in <paramref name="directory"/>, recovering from a crash.</summary>
    public static AuditSpool Open(string directory, AuditSpoolOptions? options = null)
    {
        Ferry.Text.OwnerOnlyFiles.CreateDirectory(directory);
        Ferry.Text.OwnerOnlyFiles.CheckTree(directory, "audit spool");
        var spool = new AuditSpool(directory, options ?? new AuditSpoolOptions());
        spool.Recover();
        spool._depthMetric = Ferry.Diagnostics.FerryMetrics.TrackSpoolDepth(() => spool.PendingBytes);
        return spool;
    }

    /// <summary>
    /// Writes <paramref name="events"/> as one batch and returns once they are on disk (one fsync).
    /// Thread-safe; callers on a relay path use <see cref="SpoolingAuditSink"/> instead.
    /// </summary>
    public void AppendDurable(IReadOnlyList<AuditEvent> events) => Append(events, sync: true);

    /// <summary>
    /// Writes <paramref name="events"/> as one batch into the file with one <c>write</c> (once it returns, a killed
    /// process no longer loses them); with <paramref name="sync"/> also fsyncs it (a machine crash neither). Without,
    /// call <see cref="Sync"/>. The events are serialised and checksummed on the caller's thread before the spool's
    /// lock is taken; under it only their delivery numbers are added and the bytes written.
    /// </summary>
    /// <exception cref="AuditSpoolUnavailableException">Another append has been stuck on the disk for <see cref="AuditSpoolOptions.StallTimeout"/>.</exception>
    public void Append(IReadOnlyList<AuditEvent> events, bool sync)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        SerializedEvents serialized = SerializedEvents.Of(events);
        if (!_lock.TryEnter(_options.StallTimeout))
        {
            throw new AuditSpoolUnavailableException($"audit spool {_directory}: no write completed for {_options.StallTimeout.TotalSeconds:0} s (the disk is stalled)");
        }

        TaskCompletionSource? signal = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _buffer.ResetWrittenCount();
            for (int i = 0; i < events.Count; i++)
            {
                // Numbered in file order under the lock: the shipper sends them in this order, so the store needs
                // only the highest number per source to know which ones it already has.
                long seq = ++_seq;
                serialized.Frame(i, _buffer, _deliveryPrefix, seq);
                events[i].Source = _source;
                events[i].Seq = seq;
            }

            try
            {
                _active.Write(_buffer.WrittenSpan);
            }
            catch
            {
                ForgetTailUnsynchronized(); // what reached the file is unknown: the shipper reads it from there
                throw;
            }

            RememberUnsynchronized(_activeLength, _buffer.WrittenSpan);
            _activeLength += _buffer.WrittenCount;
            if (_options.Fsync && (sync || _activeLength >= _options.MaxSegmentBytes))
            {
                _active.Flush(flushToDisk: true); // a full segment is closed synced
            }

            if (_activeLength >= _options.MaxSegmentBytes)
            {
                StartSegmentUnsynchronized(_activeSegment + 1);
            }

            // Only when the shipper waits for data: no allocation or wake-up per append otherwise.
            if (_dataAwaited)
            {
                _dataAwaited = false;
                signal = _dataSignal;
                _dataSignal = NewSignal();
            }
        }
        finally
        {
            _lock.Exit();
        }

        signal?.TrySetResult();
    }

    /// <summary>
    /// fsyncs what <see cref="Append"/> wrote without syncing. The fsync runs outside the spool's lock: appends go on
    /// meanwhile (a segment closed meanwhile was synced when it was closed).
    /// </summary>
    public void Sync()
    {
        FileStream active;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_options.Fsync)
            {
                return;
            }

            active = _active;
        }

        try
        {
            active.Flush(flushToDisk: true);
        }
        catch (ObjectDisposedException)
        {
            // Closed by a segment switch (synced first) or by Dispose.
        }
    }

    public void Dispose()
    {
        _depthMetric?.Dispose();
        bool open;
        lock (_lock)
        {
            open = !_disposed;
        }

        try
        {
            if (open)
            {
                PersistPendingAck();
            }
        }
        catch (IOException)
        {
            // The cursor stays where it was last written: what was acknowledged since is sent again and dropped as duplicates.
        }
        catch (UnauthorizedAccessException)
        {
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _active.Dispose();
            ForgetTailUnsynchronized();
        }

        _dataSignal.TrySetCanceled();
    }

    internal SpoolPosition AckedPosition
    {
        get
        {
            lock (_lock)
            {
                return _acked;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string SegmentPath(long segment) => Path.Combine(_directory, $"spool-{segment:D12}.log");
}
