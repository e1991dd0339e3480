using System.Text.Json;

namespace Ferry.Audit;

public sealed partial class AuditStore
{
    private void Recover()
    {
        DateTimeOffset now = _options.Time.GetUtcNow();
        StoreCheckpoint? cp = StoreFiles.ReadCheckpoint(_dir);
        if (cp is null)
        {
            cp = new StoreCheckpoint { UpdatedAt = now };
            StoreFiles.WriteCheckpoint(_dir, cp, _options.CheckpointKey, _options.Fsync);
        }

        _checkpoint = cp;
        DeleteBelowAnchor();

        List<long> logs = StoreFiles.List(_dir, ".log");
        List<long> sealedList = StoreFiles.List(_dir, ".zst");
        foreach (long n in logs)
        {
            if (sealedList.Remove(n))
            {
                // A seal was interrupted: the .log is the source of truth, seal again later.
                File.Delete(StoreFiles.Sealed(_dir, n));
                File.Delete(StoreFiles.Index(_dir, n));
                _checkpoint.Segments.RemoveAll(s => s.Segment == n);
            }
        }

        foreach (long n in sealedList)
        {
            SegmentIndex idx = StoreFiles.ReadIndex(_dir, n) ?? RebuildIndex(n, now);
            _sealed[n] = idx;
        }

        SetPrevFromSealed();
        DateTimeOffset dedupeFrom = now - _options.DedupeWindow;
        foreach (SegmentIndex idx in _sealed.Values)
        {
            if (idx.SealedAt < dedupeFrom)
            {
                continue;
            }

            if (idx.Sources is { } sources)
            {
                // The index has the highest sequence per source: no need to read the segment.
                foreach (var (source, seq) in sources)
                {
                    _dedupe.Note(source, seq, idx.SealedAt);
                }
            }
            else
            {
                // Sealed by a release that indexed no sources: read the events once.
                ForEachEvent(StoreFiles.ReadSegment(_dir, idx.Segment, isSealed: true), e => _dedupe.Note(e, idx.SealedAt));
            }
        }

        long next = _sealed.Count > 0 ? _sealed.Keys.Max() + 1 : _checkpoint.AnchorSegment;
        if (logs.Count == 0)
        {
            StartActiveUnsynchronized(next, now);
            return;
        }

        if (logs.Count > 1)
        {
            throw new InvalidDataException(
                $"audit store {_dir} has {logs.Count} active segment files (seg-*.log); only one is ever written: move the extra ones away and run verify");
        }

        RecoverActive(logs[0], now);
    }

    private void RecoverActive(long n, DateTimeOffset now)
    {
        string path = StoreFiles.Log(_dir, n);
        byte[] data = File.ReadAllBytes(path);
        _builder = new SegmentIndexBuilder(n, (byte[])_prev.Clone());
        long validEnd;
        if (data.Length < StoreFiles.Magic.Length || !data.AsSpan(0, StoreFiles.Magic.Length).SequenceEqual(StoreFiles.Magic))
        {
            validEnd = 0;
        }
        else
        {
            validEnd = ForEachRecord(data, (hash, json) =>
            {
                AuditEvent e = JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!;
                _dedupe.Note(e, now);
                _builder.Add(e);
                hash.CopyTo(_prev);
            });
        }

        _builder.LastHash = (byte[])_prev.Clone();
        _active = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
        if (validEnd == 0)
        {
            RecoveredTornBytes += data.Length;
            _active.SetLength(0);
            _active.Write(StoreFiles.Magic);
            validEnd = StoreFiles.Magic.Length;
        }
        else if (validEnd < data.Length)
        {
            RecoveredTornBytes += data.Length - validEnd;
            _active.SetLength(validEnd);
        }

        _active.Flush(flushToDisk: _options.Fsync);
        _active.Position = validEnd;
        _activeLength = validEnd;
        _activeOpenedAt = now;
    }

    private void StartActiveUnsynchronized(long n, DateTimeOffset now)
    {
        var stream = Ferry.Text.OwnerOnlyFiles.Open(StoreFiles.Log(_dir, n), FileMode.Create, FileAccess.Write, FileShare.Read);
        stream.Write(StoreFiles.Magic);
        stream.Flush(flushToDisk: _options.Fsync);
        _active = stream;
        _activeLength = StoreFiles.Magic.Length;
        _activeOpenedAt = now;
        _builder = new SegmentIndexBuilder(n, (byte[])_prev.Clone());
    }

    private void SetPrevFromSealed()
    {
        string hex = _sealed.Count > 0 ? _sealed[_sealed.Keys.Max()].LastHash : _checkpoint.AnchorHash;
        Convert.FromHexString(hex).CopyTo(_prev, 0);
    }

    private void DeleteBelowAnchor()
    {
        foreach (string ext in (string[])[".log", ".zst", ".idx"])
        {
            foreach (long n in StoreFiles.List(_dir, ext))
            {
                if (n < _checkpoint.AnchorSegment)
                {
                    File.Delete(Path.Combine(_dir, $"seg-{n:D10}{ext}"));
                }
            }
        }
    }

    private SegmentIndex RebuildIndex(long n, DateTimeOffset now)
    {
        byte[] data = StoreFiles.ReadSegment(_dir, n, isSealed: true);
        byte[]? first = null;
        SegmentIndexBuilder? builder = null;
        ForEachRecord(data, (hash, json) =>
        {
            AuditEvent e = JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!;
            builder ??= new SegmentIndexBuilder(n, first ??= new byte[StoreFiles.HashSize]);
            builder.Add(e);
            builder.LastHash = hash.ToArray();
        });
        SegmentIndex idx = (builder ?? new SegmentIndexBuilder(n, new byte[StoreFiles.HashSize])).Build(now);
        StoreFiles.WriteIndex(_dir, idx, _options.Fsync);
        return idx;
    }

    /// <summary>Calls <paramref name="onRecord"/> with (hash, json) for each valid record; returns the valid end offset.</summary>
    internal static long ForEachRecord(ReadOnlySpan<byte> data, RecordCallback onRecord)
    {
        int offset = StoreFiles.Magic.Length;
        while (RecordFraming.TryRead(data[offset..], out ReadOnlySpan<byte> payload, out _) && payload.Length >= StoreFiles.HashSize)
        {
            onRecord(payload[..StoreFiles.HashSize], payload[StoreFiles.HashSize..]);
            offset += RecordFraming.HeaderSize + payload.Length;
        }

        return offset;
    }

    internal static void ForEachEvent(ReadOnlySpan<byte> data, Action<AuditEvent> onEvent) =>
        ForEachRecord(data, (_, json) => onEvent(JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!));
}
