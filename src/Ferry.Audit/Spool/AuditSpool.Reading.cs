using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Ferry.Audit;

public sealed partial class AuditSpool
{
    private const int ReadChunk = 1024 * 1024;

    /// <summary>Bytes of JSON one read returns at most (unless its first event alone is larger): well under the auth service's upload limit.</summary>
    internal const int DefaultMaxBatchBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Reads up to <paramref name="maxEvents"/> durable events starting at <paramref name="from"/>, and no more than
    /// <paramref name="maxBytes"/> of JSON (at least one event). Only the shipper calls this (a single reader).
    /// </summary>
    internal SpoolBatch Read(SpoolPosition from, int maxEvents, int maxBytes = DefaultMaxBatchBytes)
    {
        long activeSegment;
        long activeLength;
        long[] segments;
        TailView[] tail;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            activeSegment = _activeSegment;
            activeLength = _activeLength;
            segments = [.. _segments];
            tail = SnapshotTailUnsynchronized();
        }

        SpoolPosition pos = Normalize(from, segments);
        // The last batch's buffer, if the shipper handed it back: a busy spool builds its uploads in one buffer instead
        // of a fresh one of megabytes each time (zeroed, faulted in, collected); a read that finds nothing lets it go.
        var events = new EventArray(maxEvents, maxBytes, TailBytesFrom(tail, pos),
            Interlocked.Exchange(ref _spareBatchBuffer, null));
        while (!events.IsFull && pos.Segment <= activeSegment)
        {
            bool isActive = pos.Segment == activeSegment;
            long limit = isActive ? activeLength : new FileInfo(SegmentPath(pos.Segment)).Length;
            if (pos.Offset >= limit)
            {
                if (isActive)
                {
                    break;
                }

                pos = NextSegment(pos.Segment, segments);
                continue;
            }

            if (tail.Length > 0 && ReadTail(tail, pos.Segment, pos.Offset, events) is var next and >= 0)
            {
                pos = pos with { Offset = next };
                continue;
            }

            pos = ReadChunkOf(pos, limit, isActive, events, segments);
        }

        return new SpoolBatch(events.ToBatch(), pos, events.IsFull) { Buffer = events.Buffer };
    }

    /// <summary>
    /// Hands back the buffer of <paramref name="batch"/>, which its reader no longer uses (uploaded, or dropped for a newer
    /// read): the next <see cref="Read"/> builds its batch in it. The batch's JSON must not be used after this.
    /// </summary>
    internal void Recycle(SpoolBatch batch)
    {
        if (batch.Buffer is { } buffer)
        {
            buffer.ResetWrittenCount();
            Volatile.Write(ref _spareBatchBuffer, buffer);
        }
    }

    /// <summary>
    /// Acknowledges everything before <paramref name="upTo"/>: the tail cache lets go of it at once, and the ack cursor
    /// file is written (write, fsync, rename) at most every <see cref="AuditSpoolOptions.AckPersistInterval"/>, at once
    /// when the acknowledgement leaves a segment behind (which is then deleted), and on close. The cursor file is written
    /// and fsync'd outside the spool's lock: the writer that appends the relays' events never waits behind this fsync
    /// (on a busy disk it can take long, and an event not yet in the file is what a kill -9 would lose).
    /// </summary>
    internal void Ack(SpoolPosition upTo)
    {
        lock (_ackLock)
        {
            bool persist;
            SpoolPosition previous;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (upTo <= _acked)
                {
                    return;
                }

                previous = _acked;
                _acked = upTo;
                ReleaseTailUnsynchronized(upTo);
                persist = upTo.Segment != _persistedAck.Segment || _options.AckPersistInterval <= TimeSpan.Zero ||
                    System.Diagnostics.Stopwatch.GetElapsedTime(_persistedAckAt) >= _options.AckPersistInterval;
            }

            if (!persist)
            {
                return;
            }

            try
            {
                PersistAckUnsynchronized(upTo);
            }
            catch
            {
                // As if not acknowledged: the shipper reads from the last position again (the store drops what it
                // already has) and the next acknowledgement tries the file at once.
                lock (_lock)
                {
                    if (_acked == upTo)
                    {
                        _acked = previous;
                    }
                }

                _persistedAckAt = 0;
                throw;
            }
        }
    }

    /// <summary>Writes the ack cursor for <paramref name="upTo"/> and deletes the segments wholly before it. Under <see cref="_ackLock"/>.</summary>
    private void PersistAckUnsynchronized(SpoolPosition upTo)
    {
        string path = Path.Combine(_directory, CursorFile);
        string tmp = path + ".tmp";
        using (var f = Ferry.Text.OwnerOnlyFiles.Open(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(JsonSerializer.SerializeToUtf8Bytes(new SpoolCursor { Segment = upTo.Segment, Offset = upTo.Offset }, InternalJsonContext.Default.SpoolCursor));
            if (_options.Fsync)
            {
                f.Flush(flushToDisk: true);
            }
        }

        File.Move(tmp, path, overwrite: true);
        _persistedAck = upTo;
        _persistedAckAt = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_lock)
        {
            while (_segments.Count > 0 && _segments.Min < upTo.Segment && _segments.Min != _activeSegment)
            {
                long old = _segments.Min;
                _segments.Remove(old);
                File.Delete(SegmentPath(old));
            }
        }
    }

    /// <summary>On close: writes the ack cursor if an acknowledgement is still in memory only.</summary>
    private void PersistPendingAck()
    {
        lock (_ackLock)
        {
            SpoolPosition acked;
            lock (_lock)
            {
                acked = _acked;
            }

            if (acked > _persistedAck)
            {
                PersistAckUnsynchronized(acked);
            }
        }
    }

    /// <summary>Completes when there is durable data after <paramref name="after"/>.</summary>
    internal Task WaitForDataAsync(SpoolPosition after, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return Task.FromCanceled(new CancellationToken(true));
            }

            if (after.Segment < _activeSegment || (after.Segment == _activeSegment && after.Offset < _activeLength))
            {
                return Task.CompletedTask;
            }

            _dataAwaited = true;
            return _dataSignal.Task.WaitAsync(ct);
        }
    }

    private SpoolPosition ReadChunkOf(SpoolPosition pos, long limit, bool isActive, EventArray events, long[] segments)
    {
        using var file = new FileStream(SegmentPath(pos.Segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        int want = (int)Math.Min(limit - pos.Offset, ReadChunk);
        byte[] buf = ArrayPool<byte>.Shared.Rent(want);
        try
        {
            int got = RandomAccess.Read(file.SafeFileHandle, buf.AsSpan(0, want), pos.Offset);
            return ReadRecordsOf(file, pos, limit, isActive, events, segments, buf.AsSpan(0, got));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private SpoolPosition ReadRecordsOf(FileStream file, SpoolPosition pos, long limit, bool isActive, EventArray events, long[] segments, ReadOnlySpan<byte> span)
    {
        int consumed = 0;
        while (!events.IsFull)
        {
            if (RecordFraming.TryRead(span[consumed..], out ReadOnlySpan<byte> payload, out RecordStatus status))
            {
                if (!events.HasRoomFor(payload.Length))
                {
                    break; // the next read starts at this record
                }

                if (!events.TryAdd(payload))
                {
                    CountCorrupt(pos with { Offset = pos.Offset + consumed });
                }

                consumed += RecordFraming.HeaderSize + payload.Length;
                continue;
            }

            if (status == RecordStatus.End)
            {
                break;
            }

            if (status == RecordStatus.Torn && pos.Offset + consumed + RecordFraming.HeaderSize <= limit)
            {
                uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[consumed..]);
                if (pos.Offset + consumed + RecordFraming.HeaderSize + length <= limit)
                {
                    if (consumed == 0)
                    {
                        // A single record larger than the chunk: read exactly it.
                        return ReadLargeRecord(file, pos, (int)length, events);
                    }

                    break; // the record continues past the chunk: the next call starts at it
                }
            }

            if (status == RecordStatus.Torn && pos.Offset + consumed + RecordFraming.HeaderSize > limit)
            {
                // Fewer bytes than a header at the end of the segment: a torn tail, nothing follows.
                CountCorrupt(pos with { Offset = pos.Offset + consumed });
                return isActive ? pos with { Offset = limit } : NextSegment(pos.Segment, segments);
            }

            // A corrupt record (bad CRC, impossible length, or a length running past the segment): later records
            // may still be good. Resynchronise on the next offset where a whole, CRC-valid JSON record starts.
            CountCorrupt(pos with { Offset = pos.Offset + consumed });
            int next = FindRecordStart(span, consumed + 1, pos.Offset, limit);
            if (next < 0)
            {
                // None starts in this chunk: continue the search in the next one (keep a header's worth of overlap).
                long resume = pos.Offset + Math.Max(consumed + 1, span.Length - RecordFraming.HeaderSize);
                return resume >= limit ? (isActive ? pos with { Offset = limit } : NextSegment(pos.Segment, segments)) : pos with { Offset = resume };
            }

            consumed = next;
            if (consumed > 0 && !RecordFraming.TryRead(span[consumed..], out _, out _))
            {
                return pos with { Offset = pos.Offset + consumed }; // a candidate longer than the chunk: the next read checks it whole
            }
        }

        return pos with { Offset = pos.Offset + consumed };
    }

    private SpoolPosition ReadLargeRecord(FileStream file, SpoolPosition pos, int length, EventArray events)
    {
        byte[] buf = new byte[RecordFraming.HeaderSize + length];
        RandomAccess.Read(file.SafeFileHandle, buf, pos.Offset);
        if (!RecordFraming.TryRead(buf, out ReadOnlySpan<byte> payload, out _))
        {
            // Its length may be the corrupt part: do not jump over what it claims, resynchronise from the next byte.
            CountCorrupt(pos);
            return pos with { Offset = pos.Offset + 1 };
        }

        if (!events.HasRoomFor(payload.Length))
        {
            return pos; // the next read starts with it
        }

        if (!events.TryAdd(payload))
        {
            CountCorrupt(pos);
        }

        return pos with { Offset = pos.Offset + buf.Length };
    }

    /// <summary>
    /// The first offset from <paramref name="from"/> in <paramref name="span"/> (which starts at file offset
    /// <paramref name="spanOffset"/>) where a record plausibly starts: a whole record in the span with a valid CRC
    /// and a JSON object payload, or one whose declared length fits in the segment and runs past the span with
    /// <c>{</c> as its first payload byte (the caller reads it whole and checks its CRC). -1 when none.
    /// </summary>
    private static int FindRecordStart(ReadOnlySpan<byte> span, int from, long spanOffset, long limit)
    {
        for (int i = from; i + RecordFraming.HeaderSize < span.Length; i++)
        {
            if (span[i + RecordFraming.HeaderSize] != (byte)'{')
            {
                continue;
            }

            if (RecordFraming.TryRead(span[i..], out _, out RecordStatus status))
            {
                return i;
            }

            if (status == RecordStatus.Torn)
            {
                uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[i..]);
                if (length <= RecordFraming.MaxPayload && spanOffset + i + RecordFraming.HeaderSize + length <= limit)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private void CountCorrupt(SpoolPosition at)
    {
        Interlocked.Increment(ref _corruptSkipped);
        Ferry.Diagnostics.FerryMetrics.AuditSpoolCorruptRecord();
        AuditSpoolLog.CorruptRecord(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Audit"), _directory, at.Segment, at.Offset);
    }

    /// <summary>
    /// The records read so far, spliced into one JSON array as they are on disk, up to a number of events and of bytes
    /// (the auth service refuses a larger upload, and a refused upload is retried, not skipped). A record from the
    /// file whose CRC holds but whose payload is not an event the auth service accepts (a bug, or an edited file) is
    /// left out and counted as corrupt, so it cannot make the auth service refuse every later upload.
    /// </summary>
    private sealed class EventArray(int maxEvents, int maxBytes, long expectedBytes, ArrayBufferWriter<byte>? spare)
    {
        private static readonly byte[] Empty = "[]"u8.ToArray();

        private ArrayBufferWriter<byte>? _json; // created by the first record: the shipper's polls mostly find none
        private bool _noRoom;

        public int Count { get; private set; }

        /// <summary>The buffer the batch was built in (null when it holds no event).</summary>
        public ArrayBufferWriter<byte>? Buffer => _json;

        /// <summary>No further event may be added: the count is reached, or the last one offered did not fit.</summary>
        public bool IsFull => _noRoom || Count >= maxEvents;

        /// <summary>Whether a payload of <paramref name="length"/> bytes fits the byte budget (the first always does); marks the array full when not.</summary>
        public bool HasRoomFor(int length)
        {
            if (Count > 0 && (long)(_json?.WrittenCount ?? 0) + length + 2 > maxBytes)
            {
                _noRoom = true;
            }

            return !_noRoom;
        }

        public bool TryAdd(ReadOnlySpan<byte> payload)
        {
            if (!IsAcceptableEvent(payload))
            {
                return false;
            }

            AddTrusted(payload);
            return true;
        }

        /// <summary>Adds a payload known to be one serialised event: one this opening of the spool framed itself.</summary>
        public void AddTrusted(ReadOnlySpan<byte> payload)
        {
            // Sized for what the tail cache holds past the read position (the common case: the whole batch comes from
            // there), so a batch of megabytes is not built by doubling and copying.
            if (_json is null)
            {
                int size = (int)Math.Min(Math.Max(expectedBytes + 2, 16 * 1024), Math.Max(maxBytes + 2L, 16 * 1024));
                _json = spare is not null && spare.Capacity >= size ? spare : new ArrayBufferWriter<byte>(size);
            }

            Span<byte> span = _json.GetSpan(payload.Length + 1);
            span[0] = Count == 0 ? (byte)'[' : (byte)',';
            payload.CopyTo(span[1..]);
            _json.Advance(payload.Length + 1);
            Count++;
        }

        public AuditBatch ToBatch()
        {
            if (_json is null)
            {
                return new AuditBatch(Empty, 0);
            }

            _json.Write("]"u8);
            return new AuditBatch(_json.WrittenMemory, Count);
        }

        /// <summary>
        /// Exactly one JSON value that reads as an audit event with an id and a type: what the auth service's
        /// <c>POST /v1/audit/events</c> accepts. A full parse, paid only for records read back from the file (what
        /// this opening appended comes from the tail cache, and is its own serialiser's output).
        /// </summary>
        private static bool IsAcceptableEvent(ReadOnlySpan<byte> payload)
        {
            try
            {
                return JsonSerializer.Deserialize(payload, AuditJsonContext.Default.AuditEvent) is { Id.Length: > 0, Type.Length: > 0 };
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    private static SpoolPosition Normalize(SpoolPosition from, long[] segments)
    {
        if (segments.Length > 0 && (from.Segment < segments[0] || from.Offset < Magic.Length))
        {
            long seg = Math.Max(from.Segment, segments[0]);
            return new SpoolPosition(seg, from.Segment < segments[0] ? Magic.Length : Math.Max(from.Offset, Magic.Length));
        }

        return from;
    }

    private static SpoolPosition NextSegment(long current, long[] segments)
    {
        foreach (long s in segments)
        {
            if (s > current)
            {
                return new SpoolPosition(s, Magic.Length);
            }
        }

        return new SpoolPosition(current + 1, Magic.Length);
    }
}
