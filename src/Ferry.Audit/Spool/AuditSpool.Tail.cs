namespace Ferry.Audit;

/// <summary>
/// The tail cache: a copy, in memory, of the records this opening appended (to the active segment, and to the ones
/// before it that the shipper has not finished) and the shipper has not acknowledged yet, so the shipper reads what was just written without a file open, a read and a parse of
/// every record. What this process framed itself from serialised events needs no check that the auth service will
/// accept it (records read from the file still get one: the file may hold a crash's leftovers or an edit). Bounded by
/// <see cref="TailMaxBytes"/>: when the shipper falls behind further, the oldest slabs are dropped and read from the
/// file; a segment switch keeps it (the shipper reads the end of the old segment from memory too); on a failed write it
/// starts again empty. An idle spool holds none.
/// </summary>
public sealed partial class AuditSpool
{
    private const int TailSlabBytes = 64 * 1024;
    internal const long TailMaxBytes = 4 * 1024 * 1024;

    // Slabs in file order (segment, then offset), each holding whole appends of one segment (a record never spans two
    // slabs), and together exactly the bytes from the first slab's start to the end of its segment, and so on up to
    // _activeLength of the active one. Guarded by _lock. A slab's bytes up to
    // its Length never change: readers use them outside the lock while appends fill the space after them.
    private readonly List<TailSlab> _tail = [];
    private long _tailBytes;

    /// <summary>Bytes the tail cache holds now (slab capacity).</summary>
    internal long TailCacheBytes
    {
        get
        {
            lock (_lock)
            {
                return _tailBytes;
            }
        }
    }

    /// <summary>Copies what one append wrote at <paramref name="offset"/> of the active segment. Under <see cref="_lock"/>.</summary>
    private void RememberUnsynchronized(long offset, ReadOnlySpan<byte> written)
    {
        TailSlab? last = _tail.Count > 0 ? _tail[^1] : null;
        if (last is not null && last.Segment == _activeSegment ? last.Start + last.Length != offset : offset != Magic.Length)
        {
            // Not right after what the cache holds (nor at the start of a new segment): it starts again from here.
            ForgetTailUnsynchronized();
            last = null;
        }

        if (last is null || last.Segment != _activeSegment || last.Bytes.Length - last.Length < written.Length)
        {
            last = new TailSlab(_activeSegment, offset, new byte[Math.Max(TailSlabBytes, written.Length)]);
            _tail.Add(last);
            _tailBytes += last.Bytes.Length;
        }

        written.CopyTo(last.Bytes.AsSpan(last.Length));
        last.Length += written.Length;
        while (_tailBytes > TailMaxBytes && _tail.Count > 1)
        {
            _tailBytes -= _tail[0].Bytes.Length;
            _tail.RemoveAt(0);
        }
    }

    /// <summary>Drops the slabs wholly before <paramref name="acked"/>. Under <see cref="_lock"/>.</summary>
    private void ReleaseTailUnsynchronized(SpoolPosition acked)
    {
        while (_tail.Count > 0 && (_tail[0].Segment < acked.Segment || (_tail[0].Segment == acked.Segment && _tail[0].Start + _tail[0].Length <= acked.Offset)))
        {
            _tailBytes -= _tail[0].Bytes.Length;
            _tail.RemoveAt(0);
        }
    }

    private void ForgetTailUnsynchronized()
    {
        _tail.Clear();
        _tailBytes = 0;
    }

    /// <summary>The cached slabs as they are now (their lengths frozen). Under <see cref="_lock"/>.</summary>
    private TailView[] SnapshotTailUnsynchronized()
    {
        if (_tail.Count == 0)
        {
            return [];
        }

        var view = new TailView[_tail.Count];
        for (int i = 0; i < view.Length; i++)
        {
            view[i] = new TailView(_tail[i].Segment, _tail[i].Start, _tail[i].Bytes, _tail[i].Length);
        }

        return view;
    }

    /// <summary>Bytes the tail snapshot holds at or past <paramref name="from"/> (framing included).</summary>
    private static long TailBytesFrom(TailView[] tail, SpoolPosition from)
    {
        long bytes = 0;
        foreach (TailView t in tail)
        {
            bytes += t.Segment > from.Segment ? t.Length : t.Segment == from.Segment ? Math.Clamp(t.Start + t.Length - from.Offset, 0, t.Length) : 0;
        }

        return bytes;
    }

    /// <summary>
    /// Reads records from the cached slabs of <paramref name="segment"/> starting at <paramref name="offset"/> until
    /// <paramref name="events"/> is full or the cache of that segment ends; returns the offset after the last one read,
    /// or -1 when the cache does not hold <paramref name="offset"/> as a record boundary (the caller reads the file
    /// instead).
    /// </summary>
    private static long ReadTail(TailView[] tail, long segment, long offset, EventArray events)
    {
        int i = 0;
        while (i < tail.Length && (tail[i].Segment < segment || (tail[i].Segment == segment && tail[i].Start + tail[i].Length <= offset)))
        {
            i++;
        }

        if (i == tail.Length || tail[i].Segment != segment || tail[i].Start > offset)
        {
            return -1;
        }

        long start = offset;
        for (; i < tail.Length && tail[i].Segment == segment && !events.IsFull && offset >= tail[i].Start; i++)
        {
            ReadOnlySpan<byte> span = tail[i].Bytes.AsSpan(0, tail[i].Length)[(int)(offset - tail[i].Start)..];
            while (span.Length > 0 && !events.IsFull)
            {
                if (!RecordFraming.TryRead(span, out ReadOnlySpan<byte> payload, out _))
                {
                    // Not a record boundary (or a bug): the file reader, with its resynchronisation, takes over.
                    return offset == start ? -1 : offset;
                }

                if (!events.HasRoomFor(payload.Length))
                {
                    return offset; // full: the next read starts at this record
                }

                events.AddTrusted(payload);
                int size = RecordFraming.HeaderSize + payload.Length;
                span = span[size..];
                offset += size;
            }
        }

        return offset == start && !events.IsFull ? -1 : offset;
    }

    private sealed class TailSlab(long segment, long start, byte[] bytes)
    {
        public long Segment { get; } = segment;

        public long Start { get; } = start;

        public byte[] Bytes { get; } = bytes;

        public int Length { get; set; }
    }

    private readonly record struct TailView(long Segment, long Start, byte[] Bytes, int Length);
}
