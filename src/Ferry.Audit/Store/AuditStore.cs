using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// The embedded audit store (on the auth service): append-only numbered segments, the active one
/// uncompressed (<c>seg-N.log</c>, framed records) and sealed ones zstd-compressed
/// (<c>seg-N.zst</c>) with a sidecar index (<c>seg-N.idx</c>). Every record stores
/// SHA-256(previous record's hash || canonical event JSON); the chain runs across segments and,
/// after retention, starts from the anchor hash kept in <c>checkpoint.json</c>. Events already stored are
/// dropped (at-least-once delivery sends duplicates) by <see cref="DeliveryDedupe"/>, whose memory is bounded by
/// configuration, not by the number of events. A failed write is not the end: the next append reopens the
/// store from its files (cutting the partial write) and carries on. Files 0600, directory 0700, checked on open.
/// Thread-safe.
/// </summary>
public sealed partial class AuditStore : IAuditStore
{
    private readonly string _dir;
    private readonly AuditStoreOptions _options;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, SegmentIndex> _sealed = [];
    private readonly DeliveryDedupe _dedupe;
    private readonly ArrayBufferWriter<byte> _buffer = new(256 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _prev = new byte[StoreFiles.HashSize];
    private StoreCheckpoint _checkpoint = new();
    private FileStream _active = null!;
    private SegmentIndexBuilder _builder = null!;
    private long _activeLength;
    private DateTimeOffset _activeOpenedAt;
    private bool _faulted;
    private bool _disposed;

    private AuditStore(string dir, AuditStoreOptions options)
    {
        _dir = dir;
        _options = options;
        _dedupe = new DeliveryDedupe(options.MaxDedupeSources, options.MaxDedupeIds);
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    public string Kind => "segments";

    /// <summary>The store directory.</summary>
    public string Directory => _dir;

    /// <summary>Events stored from the canonical JSON they came with, not written again (since the store opened).</summary>
    public long CanonicalKept { get; private set; }

    /// <summary>Bytes of a torn tail cut from the active segment when the store was opened.</summary>
    public long RecoveredTornBytes { get; private set; }

    /// <summary>Sources and source-less ids the duplicate check remembers now (bounded by the options).</summary>
    public (int Sources, int Ids) DedupeSize
    {
        get
        {
            lock (_lock)
            {
                return (_dedupe.SourceCount, _dedupe.RecentIdCount);
            }
        }
    }

    /// <summary>Events dropped as duplicates since open.</summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>Number of sealed segments.</summary>
    public int SealedSegmentCount
    {
        get
        {
            lock (_lock)
            {
                return _sealed.Count;
            }
        }
    }

    /// <summary>Events currently kept (sealed + active).</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                long n = _builder.Count;
                foreach (SegmentIndex idx in _sealed.Values)
                {
                    n += idx.Count;
                }

                return n;
            }
        }
    }

    /// <summary>Opens (or creates) a store, recovering from a crash (torn tail, interrupted seal or retention).</summary>
    public static AuditStore Open(string directory, AuditStoreOptions? options = null)
    {
        Ferry.Text.OwnerOnlyFiles.CreateDirectory(directory);
        Ferry.Text.OwnerOnlyFiles.CheckTree(directory, "audit store");
        var store = new AuditStore(directory, options ?? new AuditStoreOptions());
        store.Recover();
        return store;
    }

    /// <summary>
    /// Appends a batch, dropping events whose id is already stored; one write and one fsync for
    /// the batch (group commit). Returns the number of events stored. Throws
    /// <see cref="ArgumentException"/> for an event without id.
    /// </summary>
    public int Append(IReadOnlyList<AuditEvent> events) => Append(events, null);

    /// <inheritdoc cref="IAuditStore.AppendAsync(IReadOnlyList{AuditEvent}, IReadOnlyList{ReadOnlyMemory{byte}}, CancellationToken)"/>
    public Task<int> AppendAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<ReadOnlyMemory<byte>> canonicalJson, CancellationToken ct) =>
        ct.IsCancellationRequested ? Task.FromCanceled<int>(ct) : Task.FromResult(Append(events, canonicalJson));

    /// <summary>
    /// <see cref="Append(IReadOnlyList{AuditEvent})"/>, keeping the bytes of <paramref name="canonicalJson"/>[i] as the
    /// record of event i where that entry is not empty: the caller vouches they are the event's canonical JSON (see
    /// <see cref="AuditEventReader.ReadUpload(ReadOnlyMemory{byte}, List{ReadOnlyMemory{byte}})"/>), so the store
    /// does not write the event again.
    /// </summary>
    public int Append(IReadOnlyList<AuditEvent> events, IReadOnlyList<ReadOnlyMemory<byte>>? canonicalJson)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (canonicalJson is not null && canonicalJson.Count != events.Count)
        {
            throw new ArgumentException("one entry of canonical JSON per event", nameof(canonicalJson));
        }

        foreach (AuditEvent e in events)
        {
            if (string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.Type))
            {
                throw new ArgumentException("every audit event needs an id and a type", nameof(events));
            }
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_faulted)
            {
                ReopenAfterFaultUnsynchronized();
            }

            DateTimeOffset now = _options.Time.GetUtcNow();
            int stored = AppendUnsynchronized(events, canonicalJson, now);
            if (_activeLength >= _options.MaxSegmentBytes || (now - _activeOpenedAt >= _options.MaxSegmentAge && _builder.Count > 0))
            {
                SealUnsynchronized(now);
            }

            return stored;
        }
    }

    /// <summary>Seals the active segment if it is old enough and applies retention. Call periodically.</summary>
    public void Maintain()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DateTimeOffset now = _options.Time.GetUtcNow();
            if (now - _activeOpenedAt >= _options.MaxSegmentAge && _builder.Count > 0)
            {
                SealUnsynchronized(now);
            }

            ApplyRetentionUnsynchronized(now);
        }
    }

    /// <summary>Seals the active segment now (if it holds any event).</summary>
    public void Seal()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SealUnsynchronized(_options.Time.GetUtcNow());
        }
    }

    /// <summary>Checks the whole chain and the checkpoint; see <see cref="AuditVerifier.Verify"/>.</summary>
    public AuditVerifyResult Verify()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return AuditVerifier.Verify(_dir, _options.CheckpointKey);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _active.Dispose();
            _json.Dispose();
            _sha.Dispose();
        }
    }

    /// <summary>
    /// An earlier write failed (disk full, an I/O error): what is in memory may be ahead of the files, so it is
    /// thrown away and read again from disk, as after a crash (the torn tail of the failed write is cut).
    /// Throws, leaving the store faulted, when the files cannot be read either; the next append tries again.
    /// </summary>
    private void ReopenAfterFaultUnsynchronized()
    {
        _active.Dispose();
        _sealed.Clear();
        _dedupe.Clear();
        long tornBefore = RecoveredTornBytes;
        Recover();
        _faulted = false;
        AuditShipLog.StoreReopened(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Audit"), _dir, RecoveredTornBytes - tornBefore);
    }

    private int AppendUnsynchronized(IReadOnlyList<AuditEvent> events, IReadOnlyList<ReadOnlyMemory<byte>>? canonicalJson, DateTimeOffset now)
    {
        _buffer.ResetWrittenCount();
        int stored = 0, kept = 0;
        try
        {
            for (int i = 0; i < events.Count; i++)
            {
                AuditEvent e = events[i];
                if (!_dedupe.TryAccept(e, now))
                {
                    DuplicatesDropped++;
                    continue;
                }

                ReadOnlySpan<byte> given = canonicalJson is null ? default : canonicalJson[i].Span;
                int start, payload;
                if (given.Length > 0 && given.Length <= RecordFraming.MaxPayload - StoreFiles.HashSize)
                {
                    payload = RecordFraming.WriteBytes(_buffer, given, StoreFiles.HashSize, out start);
                    kept++;
                }
                else
                {
                    payload = RecordFraming.WriteEvent(_buffer, _json, e, StoreFiles.HashSize, out start);
                }

                Span<byte> record = _buffer.GetSpanAt(start);
                Span<byte> hash = record.Slice(RecordFraming.HeaderSize, StoreFiles.HashSize);
                StoreFiles.ChainHash(_sha, _prev, record[(RecordFraming.HeaderSize + StoreFiles.HashSize)..(RecordFraming.HeaderSize + payload)], hash);
                hash.CopyTo(_prev);
                RecordFraming.WriteHeader(record, payload);
                _builder.Add(e);
                stored++;
            }

            if (stored > 0)
            {
                _active.Write(_buffer.WrittenSpan);
                if (_options.Fsync)
                {
                    _active.Flush(flushToDisk: true);
                }

                _activeLength += _buffer.WrittenCount;
                _builder.LastHash = (byte[])_prev.Clone();
                CanonicalKept += kept;
                Ferry.Diagnostics.FerryMetrics.AuditStored(kept, stored - kept);
            }
        }
        catch
        {
            _faulted = true;
            throw;
        }

        return stored;
    }
}
